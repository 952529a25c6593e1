package emulator_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/emulator"
)

const (
	app1      = "7351234567890"
	app2      = "7359999999999"
	kid1      = "kid_cn_app1"
	kid2      = "kid_cn_app2"
	tokenPath = "/api/permission/oauth2/token"
	jwtGrant  = "urn:ietf:params:oauth:grant-type:jwt-bearer"
)

// t0 is the emulated server's initial clock.
var t0 = time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)

var (
	keysOnce             sync.Once
	key1, key2, strayKey *rsa.PrivateKey
)

func keys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		gen := func() *rsa.PrivateKey {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			return k
		}
		key1, key2, strayKey = gen(), gen(), gen()
	})
}

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is an emulator behind a real HTTP server with two apps registered.
type fixture struct {
	t        *testing.T
	srv      *emulator.Server
	hs       *httptest.Server
	clk      *clock
	inflight atomic.Int64
	mu       sync.Mutex
	logids   map[string]bool
}

func newFixture(t *testing.T, mut func(*emulator.Options)) *fixture {
	t.Helper()
	keys(t)
	f := &fixture{t: t, clk: &clock{t: t0}, logids: map[string]bool{}}
	opts := emulator.Options{Now: f.clk.Now}
	if mut != nil {
		mut(&opts)
	}
	f.srv = emulator.New(opts)
	f.srv.AddApp(app1)
	f.srv.AddKey(app1, kid1, &key1.PublicKey)
	f.srv.AddKey(app2, kid2, &key2.PublicKey)
	f.hs = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.inflight.Add(1)
		defer f.inflight.Add(-1)
		f.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(f.hs.Close)
	return f
}

func newJTI() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// claims returns valid claims for app1 at the server's current time.
func (f *fixture) claims() map[string]any {
	now := f.clk.Now().Unix()
	return map[string]any{
		"iss": app1,
		"aud": f.srv.Audience(),
		"iat": now,
		"exp": now + 600,
		"jti": newJTI(),
	}
}

func header(kid string) map[string]any {
	return map[string]any{"alg": "RS256", "typ": "JWT", "kid": kid}
}

func b64json(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// signJWT builds a compact RS256 JWS by hand.
func signJWT(t testing.TB, key *rsa.PrivateKey, hdr, claims map[string]any) string {
	t.Helper()
	in := b64json(hdr) + "." + b64json(claims)
	sum := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// assertion1 is a valid assertion for app1 with the given claim overrides.
func (f *fixture) assertion1(over map[string]any) string {
	c := f.claims()
	for k, v := range over {
		c[k] = v
	}
	return signJWT(f.t, key1, header(kid1), c)
}

// response is a decoded answer; err is set when the transport failed.
type response struct {
	status  int
	header  http.Header
	raw     []byte
	body    map[string]any
	err     error
	elapsed time.Duration
}

func (r response) str(k string) string {
	s, _ := r.body[k].(string)
	return s
}

func (r response) int(k string) int64 {
	n, _ := r.body[k].(json.Number)
	v, _ := n.Int64()
	return v
}

var logidRE = regexp.MustCompile(`^[0-9]{14}[0-9A-F]{20}$`)

// do sends a request and checks the X-Tt-Logid invariant on any answer.
func (f *fixture) do(ctx context.Context, method, path, ctype, auth, body string) response {
	f.t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, f.hs.URL+path, bytes.NewBufferString(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return f.doReq(req)
}

// doReq sends req, expects a JSON answer and checks the X-Tt-Logid invariant.
func (f *fixture) doReq(req *http.Request) response {
	f.t.Helper()
	method, path := req.Method, req.URL.Path
	start := time.Now()
	res, err := f.hs.Client().Do(req)
	out := response{err: err, elapsed: time.Since(start)}
	if err != nil {
		return out
	}
	defer res.Body.Close()
	out.status, out.header = res.StatusCode, res.Header
	out.raw, _ = io.ReadAll(res.Body)
	dec := json.NewDecoder(bytes.NewReader(out.raw))
	dec.UseNumber()
	if err := dec.Decode(&out.body); err != nil {
		f.t.Errorf("%s %s: body is not JSON: %q", method, path, out.raw)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		f.t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	id := res.Header.Get("X-Tt-Logid")
	if !logidRE.MatchString(id) {
		f.t.Errorf("%s %s: bad X-Tt-Logid %q", method, path, id)
	}
	f.mu.Lock()
	if f.logids[id] {
		f.t.Errorf("X-Tt-Logid %q repeated", id)
	}
	f.logids[id] = true
	f.mu.Unlock()
	return out
}

// mint posts a valid default token request for app1 and returns the answer.
func (f *fixture) mint(over map[string]any, body string) response {
	f.t.Helper()
	if body == "" {
		body = `{"grant_type":"` + jwtGrant + `"}`
	}
	return f.do(context.Background(), http.MethodPost, tokenPath, "application/json", "Bearer "+f.assertion1(over), body)
}

// me calls GET /v1/users/me with the given Authorization header.
func (f *fixture) me(auth string) response {
	f.t.Helper()
	return f.do(context.Background(), http.MethodGet, "/v1/users/me", "", auth, "")
}

// wantMe checks /v1/users/me accepts token as userID.
func (f *fixture) wantMe(token, userID string) {
	f.t.Helper()
	r := f.me("Bearer " + token)
	if r.status != http.StatusOK || r.int("code") != 0 {
		f.t.Fatalf("users/me: %d %s", r.status, r.raw)
	}
	data, _ := r.body["data"].(map[string]any)
	if data["user_id"] != userID {
		f.t.Errorf("users/me user_id = %v, want %q", data["user_id"], userID)
	}
}

// wantMeRejected checks /v1/users/me answers Coze's 401 for auth.
func (f *fixture) wantMeRejected(auth string) {
	f.t.Helper()
	r := f.me(auth)
	if r.status != http.StatusUnauthorized || r.int("code") != 4100 || r.str("msg") != "authentication is invalid" {
		f.t.Errorf("users/me with bad credential: %d %s", r.status, r.raw)
	}
}

// accessToken mints a fresh access token for app1 (900 s).
func (f *fixture) accessToken() string {
	f.t.Helper()
	return wantOK(f.t, f, f.mint(nil, ""), 900)
}

// data returns the "data" object of an API answer.
func (r response) data() map[string]any {
	d, _ := r.body["data"].(map[string]any)
	return d
}

// wantAPIError checks an answer has Coze's OpenAPI error shape
// {"code":code,"msg":...,"detail":{"logid":<X-Tt-Logid>}} with the given
// HTTP status, and returns its msg.
func wantAPIError(t *testing.T, r response, status int, code int64) string {
	t.Helper()
	if r.err != nil {
		t.Fatalf("transport error: %v", r.err)
	}
	if r.status != status || r.int("code") != code || r.str("msg") == "" {
		t.Errorf("got %d %s, want HTTP %d with code %d and a msg", r.status, r.raw, status, code)
	}
	detail, _ := r.body["detail"].(map[string]any)
	if id := r.header.Get("X-Tt-Logid"); detail["logid"] != id {
		t.Errorf("detail.logid = %v, want the X-Tt-Logid header %q", detail["logid"], id)
	}
	return r.str("msg")
}

var idRE = regexp.MustCompile(`^7[0-9]{18}$`)
