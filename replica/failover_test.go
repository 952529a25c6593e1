package replica_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/replica"
)

// TestHoldLockChild is the replica that dies: run by
// TestHolderKilledTakenOver in a child process, it takes the mint lock
// of a session, says so, and hangs in its mint until killed.
func TestHoldLockChild(t *testing.T) {
	url := os.Getenv("REPLICA_CHILD_URL")
	if url == "" {
		t.Skip("run by TestHolderKilledTakenOver")
	}
	st, err := replica.Open(context.Background(), replica.Options{URL: url, Keyring: ring(), Timeout: time.Second, Lease: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	r := broker.Request{App: "jwt", Session: "killed"}
	st.Tokens().Mint(context.Background(), r.Key(), func(*coze.Token) bool { return false }, func(context.Context) (*coze.Token, error) {
		fmt.Println("HOLDING")
		select {} // until SIGKILL
	})
}

// TestHolderKilledTakenOver: a replica killed with SIGKILL while holding
// a session's mint lock delays the others by at most the lease; callers
// waiting on every replica see no error, and Coze mints once.
func TestHolderKilledTakenOver(t *testing.T) {
	c := newCluster(t)
	nodes := c.nodes(3)
	child := exec.Command(os.Args[0], "-test.run=^TestHoldLockChild$", "-test.v")
	child.Env = append(os.Environ(), "REPLICA_CHILD_URL="+c.redis.URL())
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { child.Process.Kill(); child.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() && !strings.Contains(sc.Text(), "HOLDING") {
	}
	go func() {
		for sc.Scan() {
		}
	}()
	r := broker.Request{App: "jwt", Session: "killed"}
	var wg sync.WaitGroup
	var failed atomic.Int32
	toks := sync.Map{}
	for _, n := range nodes {
		for range 20 {
			wg.Go(func() {
				tok, _, err := n.b.Token(context.Background(), r)
				if err != nil {
					failed.Add(1)
					t.Error(err)
					return
				}
				toks.Store(tok.AccessToken, true)
			})
		}
	}
	killed := time.Now()
	if err := child.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	wg.Wait()
	t.Logf("callers served %v after the holder was killed (lease 1s)", time.Since(killed))
	if failed.Load() != 0 {
		t.Fatalf("%d callers failed while the lock's holder was dead", failed.Load())
	}
	n := 0
	toks.Range(func(any, any) bool { n++; return true })
	if got := c.emu.MintsFor(jwtClient, "killed"); got != 1 || n != 1 {
		t.Fatalf("Coze minted %d tokens (callers saw %d), want 1", got, n)
	}
}

// TestRedisRestartMidLoad: Redis stopped and started again under load:
// no request for a cached session fails, cold sessions are minted by
// each replica alone meanwhile, each replica logs the change once each
// way, and shared mode resumes by itself.
func TestRedisRestartMidLoad(t *testing.T) {
	c := newCluster(t)
	nodes := c.nodes(3)
	hot := broker.Request{App: "jwt", Session: "hot"}
	if _, errs := fanIn(t, nodes, hot, 5); len(errs) > 0 {
		t.Fatal(errs[0])
	}
	stop := make(chan struct{})
	var served, failed atomic.Int64
	var wg sync.WaitGroup
	for _, n := range nodes {
		for range 4 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, _, err := n.b.Token(context.Background(), hot); err != nil {
						failed.Add(1)
					} else {
						served.Add(1)
					}
				}
			})
		}
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				close(stop)
				wg.Wait()
				t.Fatalf("never %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	allDegraded := func(want bool) func() bool {
		return func() bool {
			for _, n := range nodes {
				if n.store.Degraded() != want {
					return false
				}
			}
			return true
		}
	}
	c.redis.Stop()
	waitFor("degraded", allDegraded(true))
	// A cold session while Redis is down: each replica mints it alone.
	for i, n := range nodes {
		if _, _, err := n.b.Token(t.Context(), broker.Request{App: "jwt", Session: "while-down"}); err != nil {
			t.Fatalf("replica %d, Redis down, cold session: %v", i, err)
		}
	}
	c.redis.Start()
	waitFor("back to shared mode", allDegraded(false))
	close(stop)
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d of %d requests for the cached session failed", failed.Load(), served.Load()+failed.Load())
	}
	for i, n := range nodes {
		logs := n.logs.String()
		if d, u := strings.Count(logs, "shared store unreachable"), strings.Count(logs, "back to shared mode"); d != 1 || u != 1 {
			t.Fatalf("replica %d logged %d degradations and %d recoveries, want 1 each:\n%s", i, d, u, logs)
		}
	}
	// Shared again: a cold session over all three is minted once.
	before := c.emu.MintsFor(jwtClient, "after")
	if _, errs := fanIn(t, nodes, broker.Request{App: "jwt", Session: "after"}, 20); len(errs) > 0 {
		t.Fatal(errs[0])
	}
	if got := c.emu.MintsFor(jwtClient, "after") - before; got != 1 {
		t.Fatalf("after Redis returned, a cold session was minted %d times, want 1", got)
	}
	t.Logf("%d requests served for the cached session, none failed", served.Load())
}
