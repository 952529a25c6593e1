package coze_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/emulator"
)

const (
	appID = "1171234567890"
	kid   = "kid_test_1"
)

// logIDRE is the shape of the emulator's (and Coze's) X-Tt-Logid.
var logIDRE = regexp.MustCompile(`^[0-9]{14}[0-9A-F]{20}$`)

// newEmulator starts an emulated cn region with one app whose key is rsaKey.
func newEmulator(t *testing.T) (*emulator.Server, *httptest.Server) {
	t.Helper()
	keys(t)
	emu := emulator.New(emulator.Options{})
	emu.AddKey(appID, kid, &rsaKey.PublicKey)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return emu, srv
}

// fastClient retries quickly: tests must not sleep through real backoff.
func fastClient(attempts int) *coze.Client {
	return &coze.Client{
		Timeout: 5 * time.Second,
		Retry:   coze.Backoff{Attempts: attempts, Base: time.Millisecond, Max: 5 * time.Millisecond},
	}
}

func tokenURL(srv *httptest.Server) string { return coze.TokenURL(srv.URL, "", "") }

func TestJWTTokenSuccess(t *testing.T) {
	scope := &coze.Scope{
		AccountPermission:   &coze.AccountPermission{PermissionList: []string{"Connector.botChat"}},
		AttributeConstraint: &coze.AttributeConstraint{ConnectorBotChatAttribute: &coze.BotChatAttribute{BotIDList: []string{"7000000000000000001"}}},
	}
	tests := []struct {
		name        string
		account     string
		enterprise  string
		req         coze.JWTRequest
		wantDur     int
		wantSession string
		wantPath    string
	}{
		{name: "defaults", wantDur: 900, wantPath: "/api/permission/oauth2/token"},
		{name: "duration, session and scope", req: coze.JWTRequest{DurationSeconds: 3600, Scope: scope, Claims: coze.Claims{SessionName: "user-42"}},
			wantDur: 3600, wantSession: "user-42", wantPath: "/api/permission/oauth2/token"},
		{name: "max duration", req: coze.JWTRequest{DurationSeconds: coze.MaxDuration}, wantDur: coze.MaxDuration, wantPath: "/api/permission/oauth2/token"},
		{name: "one second", req: coze.JWTRequest{DurationSeconds: 1}, wantDur: 1, wantPath: "/api/permission/oauth2/token"},
		{name: "account variant", account: "8812345", wantDur: 900, wantPath: "/api/permission/oauth2/account/8812345/token"},
		{name: "enterprise variant", enterprise: "ent_77", wantDur: 900, wantPath: "/api/permission/oauth2/enterprise_id/ent_77/token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu, srv := newEmulator(t)
			req := tt.req
			req.TokenURL = coze.TokenURL(srv.URL, tt.account, tt.enterprise)
			before := time.Now().Truncate(time.Second)
			tok, err := fastClient(1).JWTToken(context.Background(), testSigner(), req)
			after := time.Now()
			if err != nil {
				t.Fatalf("JWTToken: %v", err)
			}
			if !strings.HasPrefix(tok.AccessToken, "czs_") || tok.TokenType != "Bearer" || tok.RefreshToken != "" {
				t.Errorf("token = %+v", tok)
			}
			// expires_in is an absolute epoch second: ExpiresAt is about
			// now + duration, not 1970 + duration.
			dur := time.Duration(tt.wantDur) * time.Second
			if tok.ExpiresAt.Before(before.Add(dur)) || tok.ExpiresAt.After(after.Add(dur)) {
				t.Errorf("ExpiresAt = %v, want within [%v, %v]", tok.ExpiresAt, before.Add(dur), after.Add(dur))
			}
			if !tok.Valid(after, 0) {
				t.Error("fresh token is not Valid")
			}
			if got := emu.LastTokenPath(); got != tt.wantPath {
				t.Errorf("token path = %q, want %q", got, tt.wantPath)
			}
			if n := emu.Requests(); n != 1 {
				t.Errorf("emulator saw %d requests, want 1", n)
			}

			body := emu.LastBody()
			if body["grant_type"] != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
				t.Errorf("grant_type = %#v", body["grant_type"])
			}
			if body["duration_seconds"] != float64(tt.wantDur) {
				t.Errorf("duration_seconds = %#v, want %d", body["duration_seconds"], tt.wantDur)
			}
			if body["client_id"] != appID {
				t.Errorf("client_id = %#v, want %q", body["client_id"], appID)
			}
			sc, hasScope := body["scope"]
			switch {
			case req.Scope == nil && hasScope:
				t.Errorf("scope = %#v sent though none was asked", sc)
			case req.Scope != nil:
				got := fmt.Sprint(emu.LastScope())
				want := "map[account_permission:map[permission_list:[Connector.botChat]] attribute_constraint:map[connector_bot_chat_attribute:map[bot_id_list:[7000000000000000001]]]]"
				if got != want {
					t.Errorf("scope = %s\nwant    %s", got, want)
				}
			}

			claims := emu.LastClaims()
			if claims["iss"] != appID || claims["aud"] != "api.coze.cn" {
				t.Errorf("claims iss %#v aud %#v", claims["iss"], claims["aud"])
			}
			sn, hasSN := claims["session_name"]
			if (tt.wantSession == "") == hasSN || (hasSN && sn != tt.wantSession) {
				t.Errorf("session_name = %#v (present %v), want %q", sn, hasSN, tt.wantSession)
			}
			if _, ok := claims["scope"]; ok {
				t.Error("scope went into the claims; the SDKs send it in the body")
			}
		})
	}
}

// TestJWTTokenRefused covers answers that retrying cannot fix: the client
// must return Coze's typed error after exactly one request.
func TestJWTTokenRefused(t *testing.T) {
	keys(t)
	tests := []struct {
		name    string
		signer  func(*coze.Signer)
		emuOpts emulator.Options
		msg     string
	}{
		{"unknown kid", func(s *coze.Signer) { s.KeyID = "kid_not_there" }, emulator.Options{}, "invalid jwt: kid not been registred"},
		{"wrong region audience", func(s *coze.Signer) { s.Audience = "api.coze.cn" }, emulator.Options{Region: "com"}, "invalid jwt: aud mismatch"},
		{"wrong private key", func(s *coze.Signer) { s.Key = rsaKey2 }, emulator.Options{}, "invalid jwt: signature is invalid"},
		{"wrong app id", func(s *coze.Signer) { s.ClientID = "999" }, emulator.Options{}, "invalid jwt: iss mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu := emulator.New(tt.emuOpts)
			emu.AddKey(appID, kid, &rsaKey.PublicKey)
			srv := httptest.NewServer(emu)
			defer srv.Close()
			s := testSigner()
			tt.signer(s)
			tok, err := fastClient(5).JWTToken(context.Background(), s, coze.JWTRequest{TokenURL: tokenURL(srv)})
			if err == nil {
				t.Fatalf("JWTToken succeeded: %+v", tok)
			}
			var ce *coze.Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %v is not a *coze.Error", err, err)
			}
			if ce.Status != http.StatusUnauthorized || ce.Code != coze.CodeInvalidClient || ce.Message != tt.msg {
				t.Errorf("error = status %d code %q message %q; want 401 invalid_client %q", ce.Status, ce.Code, ce.Message, tt.msg)
			}
			if !logIDRE.MatchString(ce.LogID) {
				t.Errorf("LogID = %q, want the X-Tt-Logid header", ce.LogID)
			}
			if !strings.Contains(err.Error(), ce.LogID) {
				t.Errorf("error text %q does not carry the log id", err)
			}
			if ce.Temporary() {
				t.Error("a 401 is reported Temporary")
			}
			if n := emu.Requests(); n != 1 {
				t.Errorf("emulator saw %d requests, want 1: a 4xx must not be retried", n)
			}
			if emu.Mints() != 0 {
				t.Error("emulator minted a token")
			}
		})
	}
}

func TestJWTTokenRetries(t *testing.T) {
	tests := []struct {
		name     string
		faults   []emulator.Fault
		attempts int
		wantOK   bool
		wantReqs int
		check    func(t *testing.T, err error)
	}{
		{name: "503 twice then success", faults: []emulator.Fault{{Status: 503, Times: 2}}, attempts: 3, wantOK: true, wantReqs: 3},
		{name: "429 then success", faults: []emulator.Fault{{Status: 429}}, attempts: 3, wantOK: true, wantReqs: 2},
		{name: "dropped connection then success", faults: []emulator.Fault{{Drop: true}}, attempts: 3, wantOK: true, wantReqs: 2},
		{name: "mixed faults then success", faults: []emulator.Fault{{Status: 502}, {Drop: true}, {Status: 429}}, attempts: 4, wantOK: true, wantReqs: 4},
		{name: "500 on every attempt", faults: []emulator.Fault{{Status: 500, Times: 3}}, attempts: 3, wantReqs: 3,
			check: func(t *testing.T, err error) {
				ce, ok := coze.AsError(err)
				if !ok || ce.Status != 500 || ce.Code != "internal_error" || !logIDRE.MatchString(ce.LogID) {
					t.Errorf("error = %#v, want *coze.Error 500 internal_error with a log id", err)
				}
			}},
		{name: "retries disabled", faults: []emulator.Fault{{Status: 503}}, attempts: 1, wantReqs: 1,
			check: func(t *testing.T, err error) {
				if ce, ok := coze.AsError(err); !ok || ce.Status != 503 {
					t.Errorf("error = %v, want *coze.Error 503", err)
				}
			}},
		{name: "dropped on every attempt", faults: []emulator.Fault{{Drop: true, Times: 3}}, attempts: 3, wantReqs: 3,
			check: func(t *testing.T, err error) {
				var ue *coze.UnreachableError
				if !errors.As(err, &ue) || ue.Timeout {
					t.Errorf("error = %#v, want *coze.UnreachableError without Timeout", err)
				}
				if _, ok := coze.AsError(err); ok {
					t.Error("a dropped connection is reported as Coze's answer")
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu, srv := newEmulator(t)
			for _, f := range tt.faults {
				emu.Inject(f)
			}
			tok, err := fastClient(tt.attempts).JWTToken(context.Background(), testSigner(), coze.JWTRequest{TokenURL: tokenURL(srv)})
			if tt.wantOK != (err == nil) {
				t.Fatalf("JWTToken = %+v, %v; want success %v", tok, err, tt.wantOK)
			}
			if n := emu.Requests(); n != tt.wantReqs {
				t.Errorf("emulator saw %d requests, want %d", n, tt.wantReqs)
			}
			wantMints := 0
			if tt.wantOK {
				wantMints = 1
			}
			if n := emu.Mints(); n != wantMints {
				t.Errorf("emulator minted %d tokens, want %d", n, wantMints)
			}
			if tt.check != nil {
				tt.check(t, err)
			}
		})
	}
}

func TestJWTTokenHonoursRetryAfter(t *testing.T) {
	emu, srv := newEmulator(t)
	emu.Inject(emulator.Fault{Status: 429, RetryAfter: "1"})
	c := fastClient(3)
	c.Retry.Max = 2 * time.Second // a Retry-After above Max is not waited for
	start := time.Now()
	_, err := c.JWTToken(context.Background(), testSigner(), coze.JWTRequest{TokenURL: tokenURL(srv)})
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if n := emu.Requests(); n != 2 {
		t.Errorf("emulator saw %d requests, want 2", n)
	}
	// The backoff alone is at most 5ms; only the Retry-After explains a
	// wait of a second. Timers never fire early, so this cannot flake.
	if elapsed < time.Second {
		t.Errorf("retried after %v, want at least the 1s Retry-After", elapsed)
	}
}

func TestJWTTokenRetryAfterNotWaited(t *testing.T) {
	t.Run("longer than Backoff.Max", func(t *testing.T) {
		emu, srv := newEmulator(t)
		emu.Inject(emulator.Fault{Status: 429, RetryAfter: "30"})
		c := fastClient(3)
		c.Retry.Max = time.Second
		start := time.Now()
		_, err := c.JWTToken(context.Background(), testSigner(), coze.JWTRequest{TokenURL: tokenURL(srv)})
		ce, ok := coze.AsError(err)
		if !ok || ce.Status != 429 || ce.Code != "too_many_requests" || ce.RetryAfter != 30*time.Second {
			t.Fatalf("error = %#v, want *coze.Error 429 with RetryAfter 30s", err)
		}
		if n := emu.Requests(); n != 1 {
			t.Errorf("emulator saw %d requests, want 1", n)
		}
		if time.Since(start) > 10*time.Second {
			t.Error("the client waited for the Retry-After")
		}
	})
	t.Run("beyond the context deadline", func(t *testing.T) {
		emu, srv := newEmulator(t)
		emu.Inject(emulator.Fault{Status: 503, RetryAfter: "3"})
		c := fastClient(3)
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		_, err := c.JWTToken(ctx, testSigner(), coze.JWTRequest{TokenURL: tokenURL(srv)})
		if ce, ok := coze.AsError(err); !ok || ce.Status != 503 {
			t.Fatalf("error = %#v, want Coze's 503 rather than a context error", err)
		}
		if n := emu.Requests(); n != 1 {
			t.Errorf("emulator saw %d requests, want 1", n)
		}
	})
	t.Run("context cancelled during the wait", func(t *testing.T) {
		emu, srv := newEmulator(t)
		emu.Inject(emulator.Fault{Status: 503, RetryAfter: "2"})
		c := fastClient(3)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		_, err := c.JWTToken(ctx, testSigner(), coze.JWTRequest{TokenURL: tokenURL(srv)})
		if ce, ok := coze.AsError(err); !ok || ce.Status != 503 {
			t.Fatalf("error = %#v, want the last answer, Coze's 503", err)
		}
		if n := emu.Requests(); n != 1 {
			t.Errorf("emulator saw %d requests, want 1: no attempt after cancellation", n)
		}
		if d := time.Since(start); d >= 2*time.Second {
			t.Errorf("returned after %v: the cancellation did not cut the wait short", d)
		}
	})
}

func TestJWTTokenTimeout(t *testing.T) {
	t.Run("every attempt too slow", func(t *testing.T) {
		emu, srv := newEmulator(t)
		emu.Inject(emulator.Fault{Latency: 5 * time.Second, Times: 2})
		c := fastClient(2)
		c.Timeout = 100 * time.Millisecond
		start := time.Now()
		_, err := c.JWTToken(context.Background(), testSigner(), coze.JWTRequest{TokenURL: tokenURL(srv)})
		if d := time.Since(start); d >= 5*time.Second {
			t.Errorf("took %v: Client.Timeout was not applied", d)
		}
		var ue *coze.UnreachableError
		if !errors.As(err, &ue) || !ue.Timeout {
			t.Fatalf("error = %#v, want *coze.UnreachableError with Timeout", err)
		}
		if !strings.Contains(err.Error(), "did not answer in time") || ue.URL != tokenURL(srv) {
			t.Errorf("error = %q, URL %q", err, ue.URL)
		}
		if n := emu.Requests(); n != 2 {
			t.Errorf("emulator saw %d requests, want 2: a timeout is retried", n)
		}
	})
	t.Run("slow once then success", func(t *testing.T) {
		emu, srv := newEmulator(t)
		emu.Inject(emulator.Fault{Latency: 5 * time.Second})
		c := fastClient(2)
		c.Timeout = 100 * time.Millisecond
		if _, err := c.JWTToken(context.Background(), testSigner(), coze.JWTRequest{TokenURL: tokenURL(srv)}); err != nil {
			t.Fatal(err)
		}
		if n, m := emu.Requests(), emu.Mints(); n != 2 || m != 1 {
			t.Errorf("requests %d, mints %d; want 2 and 1", n, m)
		}
	})
}

func TestJWTTokenDurationOutOfRange(t *testing.T) {
	emu, srv := newEmulator(t)
	for _, d := range []int{-1, coze.MaxDuration + 1, 99999, 1 << 40} {
		_, err := fastClient(3).JWTToken(context.Background(), testSigner(), coze.JWTRequest{TokenURL: tokenURL(srv), DurationSeconds: d})
		if err == nil || !strings.Contains(err.Error(), "out of range") {
			t.Errorf("DurationSeconds %d: err = %v, want out of range", d, err)
		}
		if _, ok := coze.AsError(err); ok {
			t.Errorf("DurationSeconds %d: got Coze's error; the client should refuse before asking", d)
		}
	}
	if n := emu.Requests(); n != 0 {
		t.Errorf("emulator saw %d requests, want none", n)
	}
}

func TestJWTTokenSignError(t *testing.T) {
	emu, srv := newEmulator(t)
	s := testSigner()
	s.Key = nil
	_, err := fastClient(3).JWTToken(context.Background(), s, coze.JWTRequest{TokenURL: tokenURL(srv)})
	if err == nil || !strings.Contains(err.Error(), "sign assertion") {
		t.Fatalf("err = %v, want a signing error", err)
	}
	if n := emu.Requests(); n != 0 {
		t.Errorf("emulator saw %d requests, want none", n)
	}
}

// TestJWTTokenFreshJTIPerAttempt makes the first attempt reach Coze (the
// emulator verifies it and consumes its jti) but lose the answer, as when a
// proxy fails after Coze has minted. The retry must sign a new assertion: the
// emulator refuses a jti it has seen.
func TestJWTTokenFreshJTIPerAttempt(t *testing.T) {
	emu, _ := newEmulator(t)
	var (
		mu    sync.Mutex
		auths []string
		body  []byte
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		first := len(auths) == 1
		body = b
		mu.Unlock()
		if first {
			rec := httptest.NewRecorder()
			emu.ServeHTTP(rec, r) // Coze accepts and mints ...
			if rec.Code != http.StatusOK {
				t.Errorf("first attempt refused by the emulator: %d %s", rec.Code, rec.Body)
			}
			http.Error(w, "upstream connect error", http.StatusBadGateway) // ... but the answer is lost
			return
		}
		emu.ServeHTTP(w, r)
	}))
	defer srv.Close()

	tok, err := fastClient(3).JWTToken(context.Background(), testSigner(), coze.JWTRequest{TokenURL: tokenURL(srv)})
	if err != nil {
		t.Fatalf("JWTToken: %v", err)
	}
	if tok.AccessToken == "" {
		t.Fatal("no access token")
	}
	if len(auths) != 2 || emu.Mints() != 2 {
		t.Fatalf("%d attempts, %d mints; want 2 and 2", len(auths), emu.Mints())
	}
	jti := func(auth string) string {
		_, c, _, _ := jwtParts(t, strings.TrimPrefix(auth, "Bearer "))
		return c["jti"].(string)
	}
	if jti(auths[0]) == jti(auths[1]) {
		t.Fatalf("both attempts used jti %s", jti(auths[0]))
	}

	// The premise: replaying the first assertion is refused.
	req, _ := http.NewRequest(http.MethodPost, tokenURL(srv), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", auths[0])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(b), "jti has been used") {
		t.Errorf("replayed assertion: %d %s; want 401 jti has been used", resp.StatusCode, b)
	}
}

// answer serves a fixed status, body and headers.
func answer(status int, body string, hdr ...string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.Header().Set("X-Tt-Logid", "20260101000000ABCDEF0123456789ABCDEF")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
}

func TestExchangeResponses(t *testing.T) {
	exp := time.Now().Add(time.Hour).Unix()
	tests := []struct {
		name       string
		status     int
		body       string
		wantTok    *coze.Token
		wantStatus int
		wantCode   string
		wantMsg    string
		temporary  bool
	}{
		{name: "success", status: 200, body: `{"access_token":"czs_abc","expires_in":EXP,"token_type":"Bearer"}`,
			wantTok: &coze.Token{AccessToken: "czs_abc", TokenType: "Bearer", ExpiresAt: time.Unix(exp, 0)}},
		{name: "success without token_type", status: 200, body: `{"access_token":"czs_abc","expires_in":EXP}`,
			wantTok: &coze.Token{AccessToken: "czs_abc", TokenType: "Bearer", ExpiresAt: time.Unix(exp, 0)}},
		{name: "success with refresh token", status: 200, body: `{"access_token":"czs_abc","expires_in":EXP,"token_type":"Bearer","refresh_token":"rt_1"}`,
			wantTok: &coze.Token{AccessToken: "czs_abc", TokenType: "Bearer", ExpiresAt: time.Unix(exp, 0), RefreshToken: "rt_1"}},
		{name: "200 not JSON", status: 200, body: `<html>captive portal</html>`, wantStatus: 502, wantCode: "malformed_response", temporary: true},
		{name: "200 empty object", status: 200, body: `{}`, wantStatus: 502, wantCode: "malformed_response", temporary: true},
		{name: "200 empty body", status: 200, body: ``, wantStatus: 502, wantCode: "malformed_response", temporary: true},
		{name: "200 without expires_in", status: 200, body: `{"access_token":"czs_abc"}`, wantStatus: 502, wantCode: "malformed_response", temporary: true},
		{name: "200 without access_token", status: 200, body: `{"expires_in":EXP}`, wantStatus: 502, wantCode: "malformed_response", temporary: true},
		{name: "200 expires_in as string", status: 200, body: `{"access_token":"czs_abc","expires_in":"EXP"}`, wantStatus: 502, wantCode: "malformed_response", temporary: true},
		{name: "200 with an API error", status: 200, body: `{"code":4100,"msg":"authentication is invalid"}`, wantStatus: 200, wantCode: "4100", wantMsg: "authentication is invalid"},
		{name: "OAuth error", status: 400, body: `{"error":"invalid_request","error_code":"invalid_request","error_message":"duration_seconds must be an integer"}`,
			wantStatus: 400, wantCode: "invalid_request", wantMsg: "duration_seconds must be an integer"},
		{name: "only error field", status: 401, body: `{"error":"invalid_client"}`, wantStatus: 401, wantCode: "invalid_client"},
		{name: "HTML from a proxy", status: 502, body: `<html>bad gateway</html>`, wantStatus: 502, wantMsg: "Bad Gateway", temporary: true},
		{name: "API error shape", status: 404, body: `{"code":4000,"msg":"the requested API path does not exist"}`, wantStatus: 404, wantCode: "4000", wantMsg: "the requested API path does not exist"},
		{name: "429", status: 429, body: `{"error_code":"too_many_requests"}`, wantStatus: 429, wantCode: "too_many_requests", temporary: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := answer(tt.status, strings.ReplaceAll(tt.body, "EXP", strconv.FormatInt(exp, 10)))
			defer srv.Close()
			tok, err := fastClient(1).Exchange(context.Background(), coze.TokenRequest{URL: srv.URL, Body: map[string]string{"grant_type": "x"}, Idempotent: true})
			if tt.wantTok != nil {
				if err != nil {
					t.Fatal(err)
				}
				if *tok != *tt.wantTok {
					t.Errorf("token = %+v, want %+v", tok, tt.wantTok)
				}
				return
			}
			if tok != nil {
				t.Errorf("token %+v returned with an error", tok)
			}
			ce, ok := coze.AsError(err)
			if !ok {
				t.Fatalf("error %T %v, want *coze.Error", err, err)
			}
			if ce.Status != tt.wantStatus || ce.Code != tt.wantCode || (tt.wantMsg != "" && ce.Message != tt.wantMsg) {
				t.Errorf("error = %+v, want status %d code %q message %q", ce, tt.wantStatus, tt.wantCode, tt.wantMsg)
			}
			if ce.LogID != "20260101000000ABCDEF0123456789ABCDEF" {
				t.Errorf("LogID = %q", ce.LogID)
			}
			if ce.Temporary() != tt.temporary {
				t.Errorf("Temporary = %v, want %v", ce.Temporary(), tt.temporary)
			}
		})
	}
}

func TestExchangeRequest(t *testing.T) {
	type seen struct {
		method, ctype, accept, ua, authz string
		hasAuthz                         bool
		body                             string
	}
	var (
		mu  sync.Mutex
		got []seen
		srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			_, has := r.Header["Authorization"]
			mu.Lock()
			got = append(got, seen{r.Method, r.Header.Get("Content-Type"), r.Header.Get("Accept"), r.Header.Get("User-Agent"), r.Header.Get("Authorization"), has, string(b)})
			mu.Unlock()
			fmt.Fprintf(w, `{"access_token":"czs_1","expires_in":%d}`, time.Now().Add(time.Hour).Unix())
		}))
	)
	defer srv.Close()
	c := fastClient(1)
	c.UserAgent = "cozeauth-test/1"
	tests := []struct {
		name     string
		bearer   func() (string, error)
		wantAuth string
	}{
		{"bearer", func() (string, error) { return "secret-assertion", nil }, "Bearer secret-assertion"},
		{"nil bearer", nil, ""},
		{"empty bearer", func() (string, error) { return "", nil }, ""},
	}
	for _, tt := range tests {
		mu.Lock()
		got = nil
		mu.Unlock()
		if _, err := c.Exchange(context.Background(), coze.TokenRequest{URL: srv.URL, Bearer: tt.bearer, Body: map[string]any{"grant_type": "g", "n": 1}, Idempotent: true}); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if len(got) != 1 {
			t.Fatalf("%s: %d requests", tt.name, len(got))
		}
		g := got[0]
		if g.method != http.MethodPost || g.ctype != "application/json" || g.accept != "application/json" || g.ua != "cozeauth-test/1" {
			t.Errorf("%s: request %+v", tt.name, g)
		}
		if g.body != `{"grant_type":"g","n":1}` {
			t.Errorf("%s: body %s", tt.name, g.body)
		}
		if g.authz != tt.wantAuth || (tt.wantAuth == "") == g.hasAuthz {
			t.Errorf("%s: Authorization %q (present %v), want %q", tt.name, g.authz, g.hasAuthz, tt.wantAuth)
		}
	}

	// A failing bearer stops before any request and is not retried.
	mu.Lock()
	got = nil
	mu.Unlock()
	_, err := fastClient(3).Exchange(context.Background(), coze.TokenRequest{URL: srv.URL, Bearer: func() (string, error) { return "", errors.New("no key") }, Body: struct{}{}, Idempotent: true})
	if err == nil || !strings.Contains(err.Error(), "no key") || len(got) != 0 {
		t.Errorf("failing bearer: err %v, %d requests", err, len(got))
	}
	// A body that cannot be encoded is refused up front.
	if _, err := c.Exchange(context.Background(), coze.TokenRequest{URL: srv.URL, Body: func() {}, Idempotent: true}); err == nil || len(got) != 0 {
		t.Errorf("unencodable body: err %v, %d requests", err, len(got))
	}
}

func TestExchangeUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	raw := "http://user:hunter2@" + addr + "/api/permission/oauth2/token?sig=topsecret"
	_, err = fastClient(2).Exchange(context.Background(), coze.TokenRequest{URL: raw, Body: struct{}{}, Idempotent: true})
	var ue *coze.UnreachableError
	if !errors.As(err, &ue) {
		t.Fatalf("error %T %v, want *coze.UnreachableError", err, err)
	}
	if ue.Timeout {
		t.Error("connection refused reported as a timeout")
	}
	if want := "http://" + addr + "/api/permission/oauth2/token"; ue.URL != want {
		t.Errorf("URL = %q, want %q", ue.URL, want)
	}
	for _, secret := range []string{"hunter2", "topsecret"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q leaks %q from the URL", err, secret)
		}
	}
	// The URL is printed once, not again by a *url.Error inside.
	if n := strings.Count(err.Error(), "/api/permission/oauth2/token"); n != 1 {
		t.Errorf("error %q names the URL %d times", err, n)
	}
}

func TestExchangeBadURL(t *testing.T) {
	_, err := fastClient(3).Exchange(context.Background(), coze.TokenRequest{URL: "http://[::1:bad/token", Body: struct{}{}, Idempotent: true})
	if err == nil {
		t.Fatal("no error for an invalid URL")
	}
	var ue *coze.UnreachableError
	if errors.As(err, &ue) {
		t.Errorf("invalid URL reported as unreachable: %v", err)
	}
}
