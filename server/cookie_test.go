package server

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/config"
)

var cookieSecret = []byte("0123456789abcdef0123456789abcdef")

const visitorID = "AAAAAAAAAAAAAAAAAAAAAA"

func TestVerifyVisitorRefusals(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	day := 24 * time.Hour
	good := signVisitor(cookieSecret, "widget", shopOrigin, visitorID, now.Add(-time.Hour).Unix())
	if id, ok := verifyVisitor(good, cookieSecret, "widget", shopOrigin, now, day); !ok || id != visitorID {
		t.Fatalf("a fresh cookie was refused")
	}
	id, iat, mac := splitCookie(t, good)
	cases := []struct {
		name, value, policy, origin string
		maxAge                      time.Duration
	}{
		{"another policy", good, "other", shopOrigin, day},
		{"another origin", good, "widget", "https://evil.example", day},
		{"expired", good, "widget", shopOrigin, time.Hour},
		{"issued in the future", signVisitor(cookieSecret, "widget", shopOrigin, visitorID, now.Add(time.Hour).Unix()), "widget", shopOrigin, day},
		{"another secret", signVisitor([]byte("another secret, 32 bytes long..."), "widget", shopOrigin, visitorID, now.Unix()), "widget", shopOrigin, day},
		{"issue time moved", id + "." + strconv.FormatInt(now.Unix(), 10) + "." + mac, "widget", shopOrigin, day},
		{"issue time with a leading zero", id + ".0" + iat + "." + mac, "widget", shopOrigin, day},
		{"id swapped", "BBBBBBBBBBBBBBBBBBBBBB." + iat + "." + mac, "widget", shopOrigin, day},
		{"no issue time (old format)", id + "." + mac, "widget", shopOrigin, day},
		{"truncated MAC", id + "." + iat + "." + mac[:20], "widget", shopOrigin, day},
		{"oversized", good + strings.Repeat("A", 200), "widget", shopOrigin, day},
		{"empty", "", "widget", shopOrigin, day},
		// Length-prefixed fields: moving a byte from policy to origin changes the MAC.
		{"field boundary", signVisitor(cookieSecret, "widgeth", "ttps://shop.example", visitorID, now.Unix()), "widget", shopOrigin, day},
	}
	for _, tc := range cases {
		if _, ok := verifyVisitor(tc.value, cookieSecret, tc.policy, tc.origin, now, tc.maxAge); ok {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}

func splitCookie(t *testing.T, v string) (id, iat, mac string) {
	t.Helper()
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		t.Fatalf("cookie value %q is not id.issued.mac", v)
	}
	return parts[0], parts[1], parts[2]
}

// TestStolenVisitorCookieIsRefusedElsewhere: a visitor cookie works only
// for the policy and origin it was issued to, and only for its lifetime;
// otherwise the caller gets a fresh visitor (a new session, a new cookie).
func TestStolenVisitorCookieIsRefusedElsewhere(t *testing.T) {
	const otherShop = "https://other.example"
	f := newEdgeFixture(t, false, func(a *config.Access) {
		a.Cookie.Secret = cookieSecret
		a.Cookie.MaxAge = 2 * time.Hour
		a.Policies[2].Origins = append(a.Policies[2].Origins, otherShop)
		p := a.Policies[2]
		p.Name, p.Origins = "kiosk", []string{"https://kiosk.example"}
		a.Policies = append(a.Policies, p)
	})
	visit := func(origin string, ck *http.Cookie) (*http.Cookie, string) {
		t.Helper()
		h := hdr("Origin", origin)
		if ck != nil {
			h.Set("Cookie", ck.String())
		}
		status, rh, body := f.send(t, "POST", "/token", "", "", h)
		if status != 200 {
			t.Fatalf("visit from %s: %d %s", origin, status, body)
		}
		var set *http.Cookie
		if sc := rh.Values("Set-Cookie"); len(sc) > 0 {
			c, err := http.ParseSetCookie(sc[0])
			if err != nil {
				t.Fatal(err)
			}
			set = c
		}
		return set, decode[tokenAnswer](t, body).AccessToken
	}
	issued, tok := visit(shopOrigin, nil)
	if issued == nil || issued.MaxAge != 7200 || !issued.HttpOnly {
		t.Fatalf("issued cookie %v: want HttpOnly, Max-Age 7200 (cookie.max_age)", issued)
	}
	if again, tok2 := visit(shopOrigin, issued); again != nil || tok2 != tok {
		t.Fatal("the visitor's own cookie on its own origin did not keep its session")
	}
	// Stolen and replayed under another origin's or policy's cookie name.
	for _, origin := range []string{otherShop, "https://kiosk.example"} {
		policyName := "widget"
		if origin == "https://kiosk.example" {
			policyName = "kiosk"
		}
		stolen := &http.Cookie{Name: visitorCookieName(policyName, origin), Value: issued.Value}
		fresh, tok2 := visit(origin, stolen)
		if fresh == nil || fresh.Value == issued.Value || tok2 == tok {
			t.Fatalf("a cookie issued to %s was accepted from %s (policy %s)", shopOrigin, origin, policyName)
		}
	}
	// Expired: issued three hours ago, for a two-hour lifetime.
	old := &http.Cookie{Name: issued.Name, Value: signVisitor(cookieSecret, "widget", shopOrigin, visitorID, time.Now().Add(-3*time.Hour).Unix())}
	if fresh, _ := visit(shopOrigin, old); fresh == nil || strings.HasPrefix(fresh.Value, visitorID) {
		t.Fatal("an expired cookie was accepted")
	}
	// A cookie of that same age is fine while within its lifetime.
	young := &http.Cookie{Name: issued.Name, Value: signVisitor(cookieSecret, "widget", shopOrigin, visitorID, time.Now().Add(-time.Hour).Unix())}
	if fresh, _ := visit(shopOrigin, young); fresh != nil {
		t.Fatal("a cookie within its lifetime was replaced")
	}
}

// FuzzVerifyVisitor: verification never panics, and accepts only a value
// that signVisitor produced for that policy, origin and a time within the
// window; a value signed for one (policy, origin, time) verifies under
// another only when they are the same and the time is in the window.
func FuzzVerifyVisitor(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	f.Add(signVisitor(cookieSecret, "widget", shopOrigin, visitorID, now.Unix()), "widget", shopOrigin, "widget", shopOrigin, int64(60))
	f.Add(visitorID+".1800000000.xyz", "widget", shopOrigin, "widget", "https://evil.example", int64(-120))
	f.Add("", "a\x00", "b", "a", "\x00b", int64(90000))
	f.Add("..", "", "", "", "", int64(0))
	f.Fuzz(func(t *testing.T, value, pol, origin, pol2, origin2 string, age int64) {
		const maxAge = 24 * time.Hour
		if id, ok := verifyVisitor(value, cookieSecret, pol, origin, now, maxAge); ok {
			iat, _, _ := strings.Cut(value[len(id)+1:], ".")
			issued, err := strconv.ParseInt(iat, 10, 64)
			if err != nil || value != signVisitor(cookieSecret, pol, origin, id, issued) {
				t.Fatalf("accepted %q, which signVisitor did not make", value)
			}
			if d := now.Sub(time.Unix(issued, 0)); d >= maxAge || d < -visitorSkew {
				t.Fatalf("accepted %q issued %v ago", value, d)
			}
		}
		signed := signVisitor(cookieSecret, pol, origin, visitorID, now.Unix()-age)
		_, ok := verifyVisitor(signed, cookieSecret, pol2, origin2, now, maxAge)
		inWindow := age >= -int64(visitorSkew/time.Second) && age < int64(maxAge/time.Second)
		if want := pol == pol2 && origin == origin2 && inWindow && len(signed) <= maxVisitorCookie; ok != want {
			t.Fatalf("signed for (%q, %q) %ds ago, verified under (%q, %q): %v, want %v", pol, origin, age, pol2, origin2, ok, want)
		}
	})
}
