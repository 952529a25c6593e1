package server

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/grant"
)

// TestStatusJSON: /status.json names the apps with kind, region and last
// mint or error, the cache, the grants needing login, the recent denials
// and errors (newest first), version and uptime — and no secret.
func TestStatusJSON(t *testing.T) {
	f := newMeteredFixture(t)
	store := grant.NewMemory()
	ctx := context.Background()
	for _, g := range []*grant.Grant{
		{App: "good", Subject: "carol", RefreshToken: "rt-SECRET-carol", State: grant.Active, CreatedAt: time.Now(), RefreshedAt: time.Now()},
		{App: "good", Subject: "dave", RefreshToken: "rt-SECRET-dave", State: grant.Active, CreatedAt: time.Now(), RefreshedAt: time.Now()},
	} {
		if err := store.Put(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	g, _ := store.Get(ctx, "good", "dave")
	if err := store.MarkNeedsLogin(ctx, "good", "dave", g.Version, "refresh token expired"); err != nil {
		t.Fatal(err)
	}
	f.server.grants = store

	const session = "sk-live-Zq8vS3cr3tS3ssionName-4242"
	ops := bearer(f.ops)
	ops["X-User-ID"] = session
	if status, _, body := f.do(t, "POST", "/token", "", ops); status != 200 {
		t.Fatalf("token: %d %s", status, body)
	}
	ops["X-Cozeauth-App"] = "bad"
	f.do(t, "POST", "/token", `{"app":"bad"}`, ops)
	f.do(t, "POST", "/token", "", map[string]string{"X-User-ID": session})

	status, h, body := f.do(t, "GET", StatusJSONPath, "", nil)
	if status != 200 || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("/status.json: %d %v", status, h)
	}
	for _, secret := range []string{session, f.ops, "rt-SECRET"} {
		if strings.Contains(string(body), secret) {
			t.Fatalf("/status.json holds a secret (%.12s…): %s", secret, body)
		}
	}
	var st Status
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatal(err)
	}
	if st.Version == "" || st.Started.IsZero() || st.UptimeSeconds < 0 {
		t.Errorf("version %q, started %v, uptime %d", st.Version, st.Started, st.UptimeSeconds)
	}
	apps := map[string]AppState{}
	for _, a := range st.Apps {
		apps[a.Name] = a
	}
	if a := apps["good"]; a.Kind != "jwt" || a.Region != "cn" || a.LastMint == nil || a.LastError != "" {
		t.Errorf("good: %+v", a)
	}
	if a := apps["bad"]; a.LastMint != nil || !strings.Contains(a.LastError, "invalid_client") || a.ErrorAt == nil {
		t.Errorf("bad: %+v", a)
	}
	if st.Cache.Entries < 2 || st.Cache.Mints != 1 || st.Cache.Bytes <= 0 {
		t.Errorf("cache: %+v", st.Cache)
	}
	if st.Grants == nil || st.Grants.Active != 1 || st.Grants.NeedsLogin != 1 || len(st.Grants.Waiting) != 1 ||
		st.Grants.Waiting[0].Subject != "dave" || st.Grants.Waiting[0].Reason != "refresh token expired" {
		t.Errorf("grants: %+v", st.Grants)
	}
	if len(st.Recent) != 2 {
		t.Fatalf("recent: %+v", st.Recent)
	}
	if e := st.Recent[0]; e.Kind != "denied" || e.Code != "missing_client_key" || e.Status != 401 || e.Path != "/token" {
		t.Errorf("newest event: %+v", e)
	}
	if e := st.Recent[1]; e.Kind != "error" || e.Code != "coze_refused" || e.Status != 502 || e.App != "bad" {
		t.Errorf("older event: %+v", e)
	}

	// The page and its script are served, with a policy that allows no
	// inline script.
	status, h, body = f.do(t, "GET", StatusPath, "", nil)
	if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(string(body), `<script src="/status.js">`) ||
		!strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Fatalf("/status: %d %v", status, h)
	}
	if status, h, _ = f.do(t, "GET", statusJSPath, "", nil); status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/javascript") {
		t.Fatalf("/status.js: %d %v", status, h)
	}
}

// TestRecentRingBounded: the ring keeps the newest events only, and cuts
// long paths.
func TestRecentRingBounded(t *testing.T) {
	g := newRecentRing(3)
	if len(g.list()) != 0 {
		t.Fatal("a new ring is not empty")
	}
	for i := range 5 {
		g.add(Event{Code: string(rune('a' + i)), Path: strings.Repeat("p", 1000)})
	}
	got := g.list()
	if len(got) != 3 || got[0].Code != "e" || got[2].Code != "c" {
		t.Fatalf("ring: %+v", got)
	}
	if len(got[0].Path) > maxRecentPath+len("…") {
		t.Fatalf("path kept whole: %d bytes", len(got[0].Path))
	}
}
