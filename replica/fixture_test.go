package replica_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/credential"
	"github.com/cozeauth/cozeauth/emulator"
	"github.com/cozeauth/cozeauth/grant"
	"github.com/cozeauth/cozeauth/internal/redistest"
	"github.com/cozeauth/cozeauth/replica"
)

const (
	jwtClient = "1170000000001"
	jwtKID    = "kid-good"
	webClient = "1180000000001"
	webSecret = "web-secret-for-tests"
	user      = "7310000000000000042"
)

var rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// ring is the store key every replica of a test shares.
var ring = sync.OnceValue(func() *grant.Keyring {
	kr, err := grant.NewKeyring(grant.Key{ID: "k1", Secret: bytes.Repeat([]byte{7}, grant.KeySize)})
	if err != nil {
		panic(err)
	}
	return kr
})

// cluster is an emulated Coze, a real redis-server, and the replicas
// sharing it.
type cluster struct {
	t     testing.TB
	emu   *emulator.Server
	coze  *httptest.Server
	redis *redistest.Server
	opts  replica.Options
}

func newCluster(t testing.TB) *cluster {
	t.Helper()
	rs := redistest.Start(t)
	emu := emulator.New(emulator.Options{Region: "cn"})
	emu.AddApp(jwtClient)
	emu.AddKey(jwtClient, jwtKID, &rsaKey().PublicKey)
	emu.AddWebApp(webClient, webSecret, "http://127.0.0.1/oauth/callback")
	cz := httptest.NewServer(emu)
	t.Cleanup(cz.Close)
	return &cluster{t: t, emu: emu, coze: cz, redis: rs,
		opts: replica.Options{URL: rs.URL(), Keyring: ring(), Timeout: time.Second, Lease: time.Second, Probe: 50 * time.Millisecond}}
}

// node is one replica: its Store and a Broker minting through it.
type node struct {
	store *replica.Store
	b     *broker.Broker
	logs  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Buffer.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Buffer.String()
}

func (c *cluster) node() *node {
	c.t.Helper()
	logs := &syncBuffer{}
	o := c.opts
	o.Log = slog.New(slog.NewTextHandler(logs, nil))
	st, err := replica.Open(c.t.Context(), o)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { st.Close() })
	client := &coze.Client{Timeout: 10 * time.Second}
	signer := &coze.Signer{ClientID: jwtClient, KeyID: jwtKID, Key: rsaKey(), Audience: "api.coze.cn", TTL: time.Minute}
	srcs := map[string]broker.Source{
		"jwt": &credential.JWT{Client: client, Signer: signer, TokenURL: coze.TokenURL(c.coze.URL, "", "")},
		"web": &credential.Refresh{App: "web", Client: client, TokenURL: coze.TokenURL(c.coze.URL, "", ""), ClientID: webClient,
			ClientSecret: webSecret, Grants: st.Grants()},
	}
	b := broker.New(srcs, broker.Options{Shared: st.Tokens(), SharedLimits: st.Limits()})
	c.t.Cleanup(b.Close)
	return &node{store: st, b: b, logs: logs}
}

func (c *cluster) nodes(n int) []*node {
	out := make([]*node, n)
	for i := range out {
		out[i] = c.node()
	}
	return out
}

type tokenT = coze.Token

// fakeToken is a token valid for an hour.
func fakeToken(s string) *coze.Token {
	return &coze.Token{AccessToken: "czs_" + s, TokenType: "Bearer", ExpiresAt: time.Now().Add(time.Hour)}
}
