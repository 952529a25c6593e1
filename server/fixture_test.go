package server

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/credential"
	"github.com/cozeauth/cozeauth/emulator"
)

var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

const (
	goodClient = "1170000000001"
	goodKID    = "kid-good"
)

// fixture is a cozeauth server in front of an emulated Coze with two apps:
// "good" (registered) and "bad" (a key id Coze does not know).
type fixture struct {
	emu    *emulator.Server
	coze   *httptest.Server
	srv    *httptest.Server
	b      *broker.Broker
	logs   *bytes.Buffer
	cfg    *config.Config
	logger *slog.Logger
	server *Server
	client *coze.Client // the broker's Coze client
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

func newFixture(t testing.TB) *fixture {
	t.Helper()
	key := testKey()
	emu := emulator.New(emulator.Options{Region: "cn"})
	emu.AddApp(goodClient)
	emu.AddKey(goodClient, goodKID, &key.PublicKey)
	cz := httptest.NewServer(emu)
	t.Cleanup(cz.Close)
	app := func(name, kid string) config.App {
		return config.App{Name: name, Kind: config.KindJWT, Region: coze.RegionCN, ClientID: goodClient,
			APIBase: cz.URL, Audience: "api.coze.cn", Duration: 900,
			JWT: &config.JWTApp{KeyID: kid, Key: key, AssertionTTL: time.Minute}}
	}
	cfg := &config.Config{Source: "test", DefaultSession: config.DefaultSession, DefaultApp: "good",
		Cache: config.Cache{MaxEntries: 1000, Skew: 30 * time.Second},
		Apps:  []config.App{app("good", goodKID), app("bad", "kid-unknown")},
		// Open mode answers loopback Host names and these: the Host of
		// httptest.NewRequest, and of the WebSocket test.
		Access: config.Access{AllowedHosts: []string{"example.com", "gw"}}}
	client := testClient()
	sources := map[string]broker.Source{}
	for i := range cfg.Apps {
		a := &cfg.Apps[i]
		sources[a.Name] = &credential.JWT{Client: client, Signer: a.Signer(), TokenURL: a.TokenURL()}
	}
	b := broker.New(sources, broker.Options{MaxEntries: 1000})
	t.Cleanup(b.Close)
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := mustNew(t, cfg, b, Options{Log: logger, Audit: logger})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &fixture{emu: emu, coze: cz, srv: srv, b: b, logs: &logs.Buffer, cfg: cfg, logger: logger, server: s, client: client}
}

type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
	TokenType   string `json:"token_type"`
}

type errAnswer struct {
	Error struct {
		Code          string `json:"code"`
		Message       string `json:"message"`
		CozeErrorCode string `json:"coze_error_code"`
		CozeLogID     string `json:"coze_log_id"`
	} `json:"error"`
}

// do sends a request and returns status, headers and body.
func (f *fixture) do(t *testing.T, method, path, body string, hdr map[string]string) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data
}

func decode[T any](t *testing.T, data []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("answer %q is not the expected JSON: %v", data, err)
	}
	return v
}

// callCoze uses tok on the emulator's authenticated API.
func (f *fixture) callCoze(t *testing.T, tok string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", f.coze.URL+"/v1/users/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// testClient retries quickly and gives up after a second.
func testClient() *coze.Client {
	// A generous timeout: a busy machine running the race detector must
	// not make an attempt time out after the emulator minted (the retry
	// would count as a second mint). Tests of timeouts set their own.
	return &coze.Client{Timeout: 10 * time.Second, Retry: coze.Backoff{Attempts: 2, Base: time.Millisecond, Max: 5 * time.Millisecond}}
}
