package replica_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/replica"
)

func openStore(t *testing.T, o replica.Options) (*replica.Store, error) {
	st, err := replica.Open(t.Context(), o)
	if err == nil {
		t.Cleanup(func() { st.Close() })
	}
	return st, err
}

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		url     string
		addrs   string
		db      int
		tls     bool
		master  string
		cluster bool
		timeout time.Duration
	}{
		{url: "redis://localhost:6379/2", addrs: "localhost:6379", db: 2, timeout: replica.DefaultTimeout},
		{url: "rediss://:pw@redis.example:6380/0?timeout=100ms", addrs: "redis.example:6380", tls: true, timeout: 100 * time.Millisecond},
		{url: "redis-sentinel://s1:26379?master_name=mymaster&addr=s2:26379&password=pw", addrs: "s1:26379,s2:26379", master: "mymaster", timeout: replica.DefaultTimeout},
		{url: "redis-cluster://n1:6379?addr=n2:6379&addr=n3:6379", addrs: "n1:6379,n2:6379,n3:6379", cluster: true, timeout: replica.DefaultTimeout},
		{url: "rediss-cluster://u:pw@n1:6379", addrs: "n1:6379", cluster: true, tls: true, timeout: replica.DefaultTimeout},
	} {
		o, timeout, err := replica.ParseURL(tc.url)
		if err != nil {
			t.Fatalf("%s: %v", tc.url, err)
		}
		if got := strings.Join(o.Addrs, ","); got != tc.addrs || o.DB != tc.db || (o.TLSConfig != nil) != tc.tls || o.MasterName != tc.master ||
			o.IsClusterMode != tc.cluster || timeout != tc.timeout {
			t.Fatalf("%s: %+v timeout %v", tc.url, o, timeout)
		}
	}
	for _, bad := range []string{"http://x", "redis-sentinel://s1:26379", "redis://:hunter2@h:1/x", "redis://:hunter2@h:1?timeout=forever", "redis://:hunter2@h:1?nope=1", "redis-ring://h"} {
		_, _, err := replica.ParseURL(bad)
		if err == nil {
			t.Fatalf("%s: accepted", bad)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("%s: the error shows the password: %v", bad, err)
		}
	}
	if got := replica.Redact("redis://u:hunter2@h:1/0?password=hunter2"); strings.Contains(got, "hunter2") {
		t.Fatalf("Redact: %s", got)
	}
}

// TestUnreachableStartsDegraded: with Redis absent, a replica starts
// degraded, mints alone at once, and limits alone.
func TestUnreachableStartsDegraded(t *testing.T) {
	st, err := openStore(t, replica.Options{URL: "redis://127.0.0.1:1/0", Keyring: ring(), Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if !st.Degraded() {
		t.Fatal("not degraded without Redis")
	}
	minted := 0
	tok, up, err := st.Tokens().Mint(context.Background(), "k", nil, func(context.Context) (*tokenT, error) { minted++; return fakeToken("x"), nil })
	if err != nil || !up || tok == nil || minted != 1 {
		t.Fatalf("degraded Mint: %v %v %v %d", tok, up, err, minted)
	}
	if _, err := st.Grants().Get(t.Context(), "web", "alice"); err == nil {
		t.Fatal("a grant read succeeded without Redis")
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"redis://localhost:6379/0", "rediss://u:p@h:1/2?timeout=1s", "redis-sentinel://s:26379?master_name=m", "redis-cluster://a:1?addr=b:2", "redis://%zz", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _, err := replica.ParseURL(s)
		if err != nil && strings.Contains(s, ":secretpw@") && strings.Contains(err.Error(), "secretpw") {
			t.Fatalf("error shows the password: %v", err)
		}
		_ = replica.Redact(s)
	})
}
