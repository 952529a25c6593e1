package server

import (
	"regexp"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/policy"
)

// metaLine is every line a generated metadata block may hold.
var metaLine = regexp.MustCompile(`^// @(name|namespace|version|description|match|connect|grant|run-at|downloadURL|updateURL) +\S.*$`)

// metadata returns the directives of a user script's metadata block, or
// why it is not one.
func metadata(script string) ([]string, string) {
	head, _, ok := strings.Cut(script, "// ==/UserScript==\n")
	if !ok || !strings.HasPrefix(head, "// ==UserScript==\n") {
		return nil, "no metadata block"
	}
	lines := strings.Split(strings.TrimSuffix(strings.TrimPrefix(head, "// ==UserScript==\n"), "\n"), "\n")
	for _, l := range lines {
		if !metaLine.MatchString(l) {
			return nil, "unexpected line " + l
		}
	}
	return lines, ""
}

func directives(lines []string, key string) []string {
	var out []string
	for _, l := range lines {
		if v, ok := strings.CutPrefix(l, "// @"+key+" "); ok {
			out = append(out, strings.TrimSpace(v))
		}
	}
	return out
}

// TestUserScriptServed: the script is made for the server that serves it
// (its URL in @connect, the script's URL and the provider's config), runs
// on Coze's pages by default, grants GM_xmlhttpRequest, and holds no
// secret of the configuration.
func TestUserScriptServed(t *testing.T) {
	f := newFixture(t)
	key, hash, err := policy.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	cfg := f.withAccess(config.Access{
		Policies:     []policy.Policy{{Name: "me", Apps: []string{"good"}}},
		Clients:      []policy.Client{{Name: "me", Policy: "me", Hash: hash}},
		Cookie:       config.Cookie{Secret: []byte("0123456789abcdef0123456789abcdef-cookie")},
		AllowedHosts: []string{"auth.example.test"},
	})
	s := mustNew(t, cfg, f.b, Options{})
	rec := recorderWith(s, "GET", "http://auth.example.test:8443"+UserScriptPath, "", nil)
	body := rec.Body.String()
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Fatalf("GET %s: %d %s", UserScriptPath, rec.Code, body)
	}
	lines, why := metadata(body)
	if why != "" {
		t.Fatalf("metadata: %s\n%s", why, body)
	}
	check := func(key string, want ...string) {
		t.Helper()
		if got := directives(lines, key); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("@%s %q, want %q", key, got, want)
		}
	}
	check("match", config.DefaultUserScriptMatch...)
	check("connect", "auth.example.test")
	check("grant", "GM_xmlhttpRequest", "GM_getValue", "GM_setValue", "GM_registerMenuCommand", "unsafeWindow")
	check("downloadURL", "http://auth.example.test:8443"+UserScriptPath)
	check("run-at", "document-start")
	if !strings.Contains(body, `"url":"http://auth.example.test:8443"`) || !strings.Contains(body, string(clientJS)) {
		t.Error("the script does not carry client.js and this server's URL")
	}
	for _, secret := range []string{key, hash, string(cfg.Access.Cookie.Secret), "PRIVATE KEY"} {
		if strings.Contains(body, secret) {
			t.Errorf("the user script contains %.12q...", secret)
		}
	}
	if regexp.MustCompile(`cza_[A-Za-z0-9_-]{8}`).MatchString(body) {
		t.Error("the user script contains a client key")
	}
	apiHost := strings.TrimPrefix(f.coze.URL, "http://")
	if !strings.Contains(body, `"apiHosts":["api.coze.cn","api.coze.com",`+`"`+apiHost+`"]`) {
		t.Errorf("the script's Coze API hosts miss the app's %s", apiHost)
	}

	// Configured pages and public URL win over the request's Host.
	cfg = f.withAccess(config.Access{})
	cfg.UserScript = config.UserScript{Match: []string{"https://chat.example.test/*"}, PublicURL: "https://auth.example.test"}
	s = mustNew(t, cfg, f.b, Options{})
	rec = get(s, UserScriptPath, nil)
	lines, why = metadata(rec.Body.String())
	if why != "" {
		t.Fatal(why)
	}
	check("match", "https://chat.example.test/*")
	check("connect", "auth.example.test")
	check("updateURL", "https://auth.example.test"+UserScriptPath)

	// Open mode answers loopback names only, here as everywhere.
	if rec := recorderWith(mustNew(t, f.withAccess(config.Access{}), f.b, Options{}), "GET", "http://rebound.example"+UserScriptPath, "", nil); rec.Code != 403 || rec.Header().Get(ErrorHeader) != "host_not_allowed" {
		t.Errorf("a foreign Host in open mode: %d %s", rec.Code, rec.Header().Get(ErrorHeader))
	}
}

// TestDemoChatOnlyWithDemo: the demo page is served only when asked for.
func TestDemoChatOnlyWithDemo(t *testing.T) {
	f := newFixture(t)
	if rec := get(f.server, DemoChatPath, nil); rec.Code != 404 {
		t.Errorf("without DemoChat: %d", rec.Code)
	}
	s := mustNew(t, f.cfg, f.b, Options{DemoChat: true})
	rec := get(s, DemoChatPath, nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `<script src="/client.js">`) || rec.Header().Get("Content-Security-Policy") == "" {
		t.Errorf("with DemoChat: %d %v", rec.Code, rec.Header())
	}
}
