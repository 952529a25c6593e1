package emulator_test

import (
	"context"
	"crypto/rsa"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/emulator"
)

// tokenCase is one request to a token endpoint and what must come back.
type tokenCase struct {
	name       string
	opts       func(*emulator.Options)
	setup      func(t *testing.T, f *fixture)
	method     string                             // default POST
	path       string                             // default tokenPath
	ctype      string                             // default application/json; "-" for none
	body       string                             // default {"grant_type":jwt-bearer}
	auth       func(f *fixture) string            // Authorization header; default a valid assertion
	claims     func(f *fixture, c map[string]any) // edits the default assertion's claims
	timeout    time.Duration                      // client-side request timeout
	wantErr    bool                               // a transport error instead of an answer
	wantStatus int
	wantCode   string // error_code (and error)
	wantMsg    string // exact error_message
	wantMsgHas string // error_message substring
	check      func(t *testing.T, f *fixture, r response)
}

// signedBy returns an Authorization value for default claims edited by edit,
// signed by key with header hdr.
func signedBy(key **rsa.PrivateKey, hdr map[string]any, edit func(f *fixture, c map[string]any)) func(*fixture) string {
	return func(f *fixture) string {
		c := f.claims()
		if edit != nil {
			edit(f, c)
		}
		return "Bearer " + signJWT(f.t, *key, hdr, c)
	}
}

func set(k string, v any) func(*fixture, map[string]any) {
	return func(_ *fixture, c map[string]any) { c[k] = v }
}

func del(k string) func(*fixture, map[string]any) {
	return func(_ *fixture, c map[string]any) { delete(c, k) }
}

// relative sets claim k to the server clock plus d seconds.
func relative(k string, d int64) func(*fixture, map[string]any) {
	return func(f *fixture, c map[string]any) { c[k] = f.clk.Now().Unix() + d }
}

func bodyWith(extra string) string {
	return `{"grant_type":"` + jwtGrant + `"` + extra + `}`
}

// wantOK checks a successful mint and returns the access token.
func wantOK(t *testing.T, f *fixture, r response, duration int64) string {
	t.Helper()
	if r.err != nil || r.status != http.StatusOK {
		t.Fatalf("mint: %v %d %s", r.err, r.status, r.raw)
	}
	tok := r.str("access_token")
	if !strings.HasPrefix(tok, "czs_") || r.str("token_type") != "Bearer" {
		t.Errorf("mint answer %s", r.raw)
	}
	if want := f.clk.Now().Unix() + duration; r.int("expires_in") != want {
		t.Errorf("expires_in = %d, want absolute %d", r.int("expires_in"), want)
	}
	return tok
}

func TestTokenEndpoint(t *testing.T) {
	cases := []tokenCase{
		{
			name: "success", wantStatus: 200,
			check: func(t *testing.T, f *fixture, r response) {
				tok := wantOK(t, f, r, 900)
				f.wantMe(tok, app1+"-")
				if f.srv.Mints() != 1 || f.srv.MintsFor(app1, "") != 1 || f.srv.Requests() != 1 {
					t.Errorf("counters: mints %d for %d requests %d", f.srv.Mints(), f.srv.MintsFor(app1, ""), f.srv.Requests())
				}
				if c := f.srv.LastClaims(); c["iss"] != app1 || c["aud"] != "api.coze.cn" {
					t.Errorf("LastClaims %v", c)
				}
				if b := f.srv.LastBody(); b["grant_type"] != jwtGrant {
					t.Errorf("LastBody %v", b)
				}
				st := f.do(context.Background(), "GET", "/_emulator/stats", "", "", "")
				if st.status != 200 || st.int("mints") != 1 || st.int("requests") != 1 {
					t.Errorf("stats %d %s", st.status, st.raw)
				}
			},
		},
		{
			name:       "session, duration, scope and client_id",
			claims:     set("session_name", "user-42"),
			body:       bodyWith(`,"duration_seconds":3600,"client_id":"` + app1 + `","scope":{"account_permission":{"permission_list":["Connector.botChat"]}}`),
			wantStatus: 200,
			check: func(t *testing.T, f *fixture, r response) {
				tok := wantOK(t, f, r, 3600)
				f.wantMe(tok, app1+"-user-42")
				if f.srv.MintsFor(app1, "user-42") != 1 || f.srv.MintsFor(app1, "") != 0 {
					t.Error("mint not counted under the session")
				}
				if f.srv.LastScope()["account_permission"] == nil {
					t.Errorf("scope not kept: %v", f.srv.LastScope())
				}
				// The token stops working when the server clock passes expires_in.
				f.clk.Add(3599 * time.Second)
				f.wantMe(tok, app1+"-user-42")
				f.clk.Add(time.Second)
				f.wantMeRejected("Bearer " + tok)
			},
		},
		{name: "numeric client_id matching iss", body: bodyWith(`,"client_id":` + app1), wantStatus: 200},
		{name: "aud as array", claims: set("aud", []string{"other", "api.coze.cn"}), wantStatus: 200},
		{name: "iat slightly ahead within leeway", claims: relative("iat", 50), wantStatus: 200},
		{name: "exp just passed within leeway", claims: relative("exp", -50), wantStatus: 200},
		{name: "duration 1", body: bodyWith(`,"duration_seconds":1`), wantStatus: 200,
			check: func(t *testing.T, f *fixture, r response) { wantOK(t, f, r, 1) }},
		{name: "duration max", body: bodyWith(`,"duration_seconds":86399`), wantStatus: 200,
			check: func(t *testing.T, f *fixture, r response) { wantOK(t, f, r, 86399) }},
		{name: "content type with charset", ctype: "application/json; charset=utf-8", wantStatus: 200},
		{
			name: "account variant", path: "/api/permission/oauth2/account/1234567/token", wantStatus: 200,
			check: func(t *testing.T, f *fixture, r response) {
				f.wantMe(wantOK(t, f, r, 900), app1+"-")
				if p := f.srv.LastTokenPath(); p != "/api/permission/oauth2/account/1234567/token" {
					t.Errorf("LastTokenPath %q", p)
				}
			},
		},
		{name: "enterprise variant", path: "/api/permission/oauth2/enterprise_id/ent_987/token", wantStatus: 200,
			check: func(t *testing.T, f *fixture, r response) { wantOK(t, f, r, 900) }},
		{
			name: "second app with its own key", wantStatus: 200,
			auth: signedBy(&key2, header(kid2), set("iss", app2)),
			check: func(t *testing.T, f *fixture, r response) {
				f.wantMe(wantOK(t, f, r, 900), app2+"-")
				if f.srv.MintsFor(app2, "") != 1 || f.srv.MintsFor(app1, "") != 0 {
					t.Error("mint counted for the wrong app")
				}
			},
		},
		{
			name: "com region", opts: func(o *emulator.Options) { o.Region = "com" },
			claims: set("aud", "api.coze.com"), wantStatus: 200,
			check: func(t *testing.T, f *fixture, r response) {
				if f.srv.Audience() != "api.coze.com" {
					t.Errorf("audience %q", f.srv.Audience())
				}
			},
		},

		// Authorization and assertion rejections, in Coze's check order.
		{name: "missing authorization", auth: func(*fixture) string { return "" },
			wantStatus: 401, wantCode: "invalid_client", wantMsg: "missing authorization"},
		{name: "basic authorization", auth: func(*fixture) string { return "Basic YTpi" },
			wantStatus: 401, wantCode: "invalid_client", wantMsg: "missing authorization"},
		{name: "malformed jwt", auth: func(*fixture) string { return "Bearer not.a-jwt" },
			wantStatus: 401, wantCode: "invalid_client", wantMsg: "invalid jwt: token is malformed"},
		{name: "padded base64", auth: func(f *fixture) string {
			p := strings.SplitN(f.assertion1(nil), ".", 3)
			return "Bearer " + p[0] + "=." + p[1] + "." + p[2]
		}, wantStatus: 401, wantCode: "invalid_client", wantMsg: "invalid jwt: token is malformed"},
		{name: "alg HS256", auth: signedBy(&key1, map[string]any{"alg": "HS256", "typ": "JWT", "kid": kid1}, nil),
			wantStatus: 401, wantCode: "invalid_client", wantMsg: "invalid jwt: signing method must be RS256"},
		{name: "alg none", auth: func(f *fixture) string {
			return "Bearer " + b64json(map[string]any{"alg": "none", "typ": "JWT", "kid": kid1}) + "." + b64json(f.claims()) + "."
		}, wantStatus: 401, wantCode: "invalid_client", wantMsg: "invalid jwt: signing method must be RS256"},
		{name: "typ missing", auth: signedBy(&key1, map[string]any{"alg": "RS256", "kid": kid1}, nil),
			wantStatus: 401, wantCode: "invalid_client", wantMsg: "invalid jwt: typ must be JWT"},
		{name: "kid missing", auth: signedBy(&key1, map[string]any{"alg": "RS256", "typ": "JWT"}, nil),
			wantStatus: 401, wantCode: "invalid_client", wantMsg: "invalid jwt: kid is missing"},
		{name: "unknown kid (wrong region)", auth: signedBy(&key1, header("kid_com_elsewhere"), nil),
			wantStatus: 401, wantCode: "invalid_client", wantMsg: "invalid jwt: kid not been registred"},
		{name: "signed with another key", auth: signedBy(&strayKey, header(kid1), nil),
			wantStatus: 401, wantCode: "invalid_client", wantMsg: "invalid jwt: signature is invalid"},
		{name: "payload swapped after signing", auth: func(f *fixture) string {
			p := strings.SplitN(f.assertion1(nil), ".", 3)
			c := f.claims()
			c["session_name"] = "intruder"
			return "Bearer " + p[0] + "." + b64json(c) + "." + p[2]
		}, wantStatus: 401, wantCode: "invalid_client", wantMsg: "invalid jwt: signature is invalid"},
		{name: "iss of another app", claims: set("iss", app2),
			wantStatus: 401, wantCode: "invalid_client", wantMsg: "invalid jwt: iss mismatch"},
		{name: "iss as a JSON number", claims: set("iss", 7351234567890),
			wantStatus: 401, wantCode: "invalid_client", wantMsg: "invalid jwt: iss mismatch"},
		{name: "aud of the other region", claims: set("aud", "api.coze.com"),
			wantStatus: 401, wantCode: "invalid_client", wantMsg: "invalid jwt: aud mismatch"},
		{name: "aud array without ours", claims: set("aud", []string{"api.coze.com"}),
			wantStatus: 401, wantCode: "invalid_client", wantMsg: "invalid jwt: aud mismatch"},
		{name: "aud missing", claims: del("aud"),
			wantStatus: 401, wantCode: "invalid_client", wantMsg: "invalid jwt: aud mismatch"},
		{name: "iat in the future", claims: relative("iat", 61),
			wantStatus: 401, wantCode: "invalid_client", wantMsg: "invalid jwt: iat is in the future"},
		{name: "server clock 10 minutes behind", setup: func(_ *testing.T, f *fixture) { f.clk.Add(-10 * time.Minute) },
			claims:     func(f *fixture, c map[string]any) { c["iat"] = f.clk.Now().Unix() + 600 },
			wantStatus: 401, wantCode: "invalid_client", wantMsg: "invalid jwt: iat is in the future"},
		{name: "iat missing", claims: del("iat"),
			wantStatus: 401, wantCode: "invalid_client", wantMsg: "invalid jwt: iat is required"},
		{name: "exp passed", claims: relative("exp", -60),
			wantStatus: 401, wantCode: "invalid_client", wantMsg: "invalid jwt: token is expired"},
		{name: "server clock ahead of short assertion",
			claims: func(f *fixture, c map[string]any) {
				now := f.clk.Now().Unix()
				c["iat"], c["exp"] = now-300, now-240 // a client whose clock is 5 minutes slow
			},
			wantStatus: 401, wantCode: "invalid_client", wantMsg: "invalid jwt: token is expired"},
		{name: "exp missing", claims: del("exp"),
			wantStatus: 401, wantCode: "invalid_client", wantMsg: "invalid jwt: exp is required"},
		{name: "exp as a string", claims: set("exp", "9999999999"),
			wantStatus: 401, wantCode: "invalid_client", wantMsg: "invalid jwt: exp is required"},
		{name: "jti missing", claims: del("jti"),
			wantStatus: 401, wantCode: "invalid_client", wantMsg: "invalid jwt: jti is required"},
		{
			name: "jti replayed",
			setup: func(t *testing.T, f *fixture) {
				wantOK(t, f, f.mint(map[string]any{"jti": "once"}, ""), 900)
			},
			claims:     set("jti", "once"),
			wantStatus: 401, wantCode: "invalid_client", wantMsg: "invalid jwt: jti has been used",
			check: func(t *testing.T, f *fixture, r response) {
				if f.srv.Mints() != 1 || f.srv.Requests() != 2 {
					t.Errorf("mints %d requests %d", f.srv.Mints(), f.srv.Requests())
				}
			},
		},
		{
			name: "same jti used by another app",
			setup: func(t *testing.T, f *fixture) {
				c := f.claims()
				c["iss"], c["jti"] = app2, "shared"
				r := f.do(context.Background(), "POST", tokenPath, "application/json",
					"Bearer "+signJWT(t, key2, header(kid2), c), bodyWith(""))
				wantOK(t, f, r, 900)
			},
			claims: set("jti", "shared"), wantStatus: 200,
		},
		{
			name: "jti reusable once its assertion expired",
			setup: func(t *testing.T, f *fixture) {
				wantOK(t, f, f.mint(map[string]any{"jti": "recycled", "exp": f.clk.Now().Unix() + 10}, ""), 900)
				f.clk.Add(71 * time.Second) // past exp + leeway
			},
			claims: set("jti", "recycled"), wantStatus: 200,
		},
		{name: "session_name not a string", claims: set("session_name", 42),
			wantStatus: 401, wantCode: "invalid_client", wantMsg: "invalid jwt: session_name must be a string"},
		{
			name: "body client_id differs from iss", body: bodyWith(`,"client_id":"` + app2 + `"`),
			wantStatus: 400, wantCode: "invalid_request", wantMsgHas: "client_id",
			check: func(t *testing.T, f *fixture, r response) {
				if f.srv.Mints() != 0 || f.srv.LastClaims() == nil {
					t.Errorf("mints %d, claims %v", f.srv.Mints(), f.srv.LastClaims())
				}
			},
		},

		// Body rejections.
		{name: "wrong grant_type", body: `{"grant_type":"client_credentials"}`,
			wantStatus: 400, wantCode: "unsupported_grant_type", wantMsgHas: "grant_type"},
		{name: "grant_type missing", body: `{"duration_seconds":900}`,
			wantStatus: 400, wantCode: "unsupported_grant_type", wantMsgHas: "grant_type"},
		{name: "duration 0", body: bodyWith(`,"duration_seconds":0`),
			wantStatus: 400, wantCode: "invalid_request", wantMsgHas: "duration_seconds"},
		{name: "duration a day", body: bodyWith(`,"duration_seconds":86400`),
			wantStatus: 400, wantCode: "invalid_request", wantMsgHas: "duration_seconds"},
		{name: "duration negative", body: bodyWith(`,"duration_seconds":-5`),
			wantStatus: 400, wantCode: "invalid_request", wantMsgHas: "duration_seconds"},
		{name: "duration fractional", body: bodyWith(`,"duration_seconds":1.5`),
			wantStatus: 400, wantCode: "invalid_request", wantMsgHas: "duration_seconds"},
		{name: "duration as a string", body: bodyWith(`,"duration_seconds":"900"`),
			wantStatus: 400, wantCode: "invalid_request", wantMsgHas: "duration_seconds",
			check: func(t *testing.T, f *fixture, r response) {
				if f.srv.LastClaims() != nil {
					t.Error("assertion verified (and its jti spent) despite a bad body")
				}
			}},
		{name: "scope not an object", body: bodyWith(`,"scope":"Connector.botChat"`),
			wantStatus: 400, wantCode: "invalid_request", wantMsgHas: "scope"},
		{name: "malformed JSON", body: `{"grant_type":`,
			wantStatus: 400, wantCode: "invalid_request"},
		{name: "JSON array body", body: `[1,2]`,
			wantStatus: 400, wantCode: "invalid_request"},
		{name: "trailing garbage", body: bodyWith("") + `x`,
			wantStatus: 400, wantCode: "invalid_request"},
		{name: "form content type", ctype: "application/x-www-form-urlencoded", body: "grant_type=x",
			wantStatus: 400, wantCode: "invalid_request", wantMsgHas: "Content-Type"},
		{name: "no content type", ctype: "-",
			wantStatus: 400, wantCode: "invalid_request", wantMsgHas: "Content-Type"},
		{name: "body over 64 KiB", body: bodyWith(`,"pad":"` + strings.Repeat("x", 64<<10) + `"`),
			wantStatus: 413, wantCode: "invalid_request"},
		{name: "GET on the token endpoint", method: "GET", body: "",
			wantStatus: 405, wantCode: "invalid_request",
			check: func(t *testing.T, f *fixture, r response) {
				if r.header.Get("Allow") != "POST" {
					t.Errorf("Allow %q", r.header.Get("Allow"))
				}
			}},
		{name: "unknown path", path: "/api/permission/oauth2/nope", wantStatus: 404,
			check: func(t *testing.T, f *fixture, r response) {
				if r.int("code") != 4000 || r.str("msg") == "" || f.srv.Requests() != 0 {
					t.Errorf("404 answer %s, requests %d", r.raw, f.srv.Requests())
				}
			}},
		{name: "empty account id", path: "/api/permission/oauth2/account//token", wantStatus: 404},

		// Faults.
		{
			name:       "429 with Retry-After, then recovery",
			setup:      func(_ *testing.T, f *fixture) { f.srv.Inject(emulator.Fault{Status: 429, RetryAfter: "7"}) },
			wantStatus: 429, wantCode: "too_many_requests",
			check: func(t *testing.T, f *fixture, r response) {
				if r.header.Get("Retry-After") != "7" {
					t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
				}
				r2 := f.mint(nil, "")
				wantOK(t, f, r2, 900)
				if r2.header.Get("Retry-After") != "" || f.srv.Requests() != 2 || f.srv.Mints() != 1 {
					t.Errorf("after the fault: requests %d mints %d", f.srv.Requests(), f.srv.Mints())
				}
			},
		},
		{
			name: "503 twice, then success",
			setup: func(_ *testing.T, f *fixture) {
				f.srv.Inject(emulator.Fault{Times: 2, Status: 503, RetryAfter: "1"})
			},
			wantStatus: 503, wantCode: "internal_error",
			check: func(t *testing.T, f *fixture, r response) {
				if r2 := f.mint(nil, ""); r2.status != 503 || r2.str("error_code") != "internal_error" {
					t.Errorf("second request: %d %s", r2.status, r2.raw)
				}
				wantOK(t, f, f.mint(nil, ""), 900)
				if f.srv.Requests() != 3 {
					t.Errorf("requests %d", f.srv.Requests())
				}
			},
		},
		{
			name: "queued faults apply in order",
			setup: func(_ *testing.T, f *fixture) {
				f.srv.Inject(emulator.Fault{Status: 500})
				f.srv.Inject(emulator.Fault{Status: 429})
			},
			wantStatus: 500, wantCode: "internal_error",
			check: func(t *testing.T, f *fixture, r response) {
				if r2 := f.mint(nil, ""); r2.status != 429 {
					t.Errorf("second request: %d", r2.status)
				}
				wantOK(t, f, f.mint(nil, ""), 900)
			},
		},
		{
			name:       "403 fault",
			setup:      func(_ *testing.T, f *fixture) { f.srv.Inject(emulator.Fault{Status: 403}) },
			wantStatus: 403, wantCode: "access_denied",
		},
		{
			name: "ClearFaults",
			setup: func(_ *testing.T, f *fixture) {
				f.srv.Inject(emulator.Fault{Times: 5, Status: 500})
				f.srv.ClearFaults()
			},
			wantStatus: 200,
		},
		{
			name:       "latency",
			setup:      func(_ *testing.T, f *fixture) { f.srv.Inject(emulator.Fault{Latency: 150 * time.Millisecond}) },
			wantStatus: 200,
			check: func(t *testing.T, f *fixture, r response) {
				if r.elapsed < 150*time.Millisecond {
					t.Errorf("answered after %v", r.elapsed)
				}
			},
		},
		{
			name:    "latency cut short by cancellation",
			setup:   func(_ *testing.T, f *fixture) { f.srv.Inject(emulator.Fault{Latency: time.Minute, Status: 500}) },
			timeout: 100 * time.Millisecond, wantErr: true,
			check: func(t *testing.T, f *fixture, r response) {
				deadline := time.Now().Add(5 * time.Second)
				for f.inflight.Load() != 0 {
					if time.Now().After(deadline) {
						t.Fatal("handler still sleeping after the client gave up")
					}
					time.Sleep(5 * time.Millisecond)
				}
				wantOK(t, f, f.mint(nil, ""), 900)
			},
		},
		{
			name:    "dropped connection",
			setup:   func(_ *testing.T, f *fixture) { f.srv.Inject(emulator.Fault{Drop: true}) },
			wantErr: true,
			check: func(t *testing.T, f *fixture, r response) {
				if f.srv.Requests() != 1 || f.srv.Mints() != 0 {
					t.Errorf("requests %d mints %d", f.srv.Requests(), f.srv.Mints())
				}
				wantOK(t, f, f.mint(nil, ""), 900)
			},
		},
		{
			name: "slow then dropped",
			setup: func(_ *testing.T, f *fixture) {
				f.srv.Inject(emulator.Fault{Latency: 50 * time.Millisecond, Drop: true})
			},
			wantErr: true,
		},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tc.opts)
			if tc.setup != nil {
				tc.setup(t, f)
			}
			method, path, ctype, body := tc.method, tc.path, tc.ctype, tc.body
			if method == "" {
				method = http.MethodPost
			}
			if path == "" {
				path = tokenPath
			}
			switch ctype {
			case "":
				ctype = "application/json"
			case "-":
				ctype = ""
			}
			if body == "" && method == http.MethodPost {
				body = bodyWith("")
			}
			var auth string
			if tc.auth != nil {
				auth = tc.auth(f)
			} else {
				auth = signedBy(&key1, header(kid1), tc.claims)(f)
			}
			ctx := context.Background()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			r := f.do(ctx, method, path, ctype, auth, body)
			switch {
			case tc.wantErr:
				if r.err == nil {
					t.Fatalf("want a transport error, got %d %s", r.status, r.raw)
				}
			case r.err != nil:
				t.Fatalf("transport error: %v", r.err)
			case r.status != tc.wantStatus:
				t.Fatalf("status %d, want %d: %s", r.status, tc.wantStatus, r.raw)
			}
			if tc.wantCode != "" {
				if r.str("error") != tc.wantCode || r.str("error_code") != tc.wantCode {
					t.Errorf("error/error_code in %s, want %q", r.raw, tc.wantCode)
				}
				if _, ok := r.body["error_message"].(string); !ok {
					t.Errorf("no error_message in %s", r.raw)
				}
			}
			if tc.wantMsg != "" && r.str("error_message") != tc.wantMsg {
				t.Errorf("error_message %q, want %q", r.str("error_message"), tc.wantMsg)
			}
			if tc.wantMsgHas != "" && !strings.Contains(r.str("error_message"), tc.wantMsgHas) {
				t.Errorf("error_message %q lacks %q", r.str("error_message"), tc.wantMsgHas)
			}
			if tc.wantStatus == 200 && tc.check == nil {
				wantOK(t, f, r, 900)
			}
			if tc.wantStatus >= 400 && tc.wantStatus != 404 && strings.Contains(string(r.raw), "czs_") {
				t.Errorf("error answer carries a token: %s", r.raw)
			}
			if tc.check != nil {
				tc.check(t, f, r)
			}
		})
	}
}
