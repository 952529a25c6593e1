package server

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/cozeauth/cozeauth/config"
)

// UserScriptPath serves a Tampermonkey/Violentmonkey user script made for
// this server: its metadata block @match-es the configured Coze pages
// (user_script.match), @connect-s this server's host and grants
// GM_xmlhttpRequest; its code is client.js plus assets/userscript.js,
// which installs the token provider on those pages and replaces the
// page's hard-coded Coze token with fresh ones. It never contains a
// secret: the client key, when the policy needs one, is set from the
// manager's menu and kept in the manager's storage.
const UserScriptPath = "/cozeauth.user.js"

//go:embed assets/userscript.js
var userScriptJS string

// userScriptConfig is what the script learns from the server: public
// values only.
type userScriptConfig struct {
	URL      string   `json:"url"`
	App      string   `json:"app,omitempty"`
	APIHosts []string `json:"apiHosts"`
	Version  string   `json:"version"`
}

func (s *Server) handleUserScript(w http.ResponseWriter, r *http.Request) {
	acc := s.access.Load()
	if d := s.checkHost(r, acc); d != nil {
		s.deny(w, r, nil, d)
		return
	}
	base := acc.cfg.UserScript.PublicURL
	if base == "" {
		scheme := "http"
		if r.TLS != nil || acc.trustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
			scheme = "https"
		}
		u, err := url.Parse(scheme + "://" + r.Host)
		if err != nil || u.Host == "" || u.Host != r.Host || strings.ContainsAny(r.Host, " \t\r\n/@") {
			writeError(w, http.StatusBadRequest, "bad_host", "the Host header is not a host[:port]; set user_script.public_url in the config to the URL browsers reach cozeauth at", nil)
			return
		}
		base = u.Scheme + "://" + u.Host
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(userScript(acc.cfg, base))
}

// userScript is the script for cfg, served from base
// (scheme://host[:port]).
func userScript(cfg *config.Config, base string) []byte {
	match := cfg.UserScript.Match
	if len(match) == 0 {
		match = config.DefaultUserScriptMatch
	}
	hosts := []string{"api.coze.cn", "api.coze.com"}
	for _, a := range cfg.Apps {
		if u, err := url.Parse(a.APIBase); err == nil && u.Host != "" && !slices.Contains(hosts, u.Host) {
			hosts = append(hosts, u.Host)
		}
	}
	sum := sha256.New()
	sum.Write(clientJS)
	sum.Write([]byte(userScriptJS))
	for _, v := range append(append([]string{base}, match...), hosts...) {
		writeField(sum, v)
	}
	version := "1." + hex.EncodeToString(sum.Sum(nil)[:4])
	c := userScriptConfig{URL: base, APIHosts: hosts, Version: version}
	if app, ok := cfg.App(""); ok && app.Kind != config.KindPAT {
		c.App = app.Name
	}
	cj, _ := json.Marshal(c) // escapes <, > and &: safe inside a script
	host := base[strings.Index(base, "://")+3:]
	if h, _, ok := strings.Cut(host, "]"); ok && strings.HasPrefix(host, "[") {
		host = h[1:]
	} else if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	var b strings.Builder
	b.WriteString("// ==UserScript==\n")
	line := func(k, v string) { b.WriteString("// @" + k + strings.Repeat(" ", max(1, 13-len(k))) + v + "\n") }
	line("name", "cozeauth tokens for Coze pages")
	line("namespace", base)
	line("version", version)
	line("description", "Replaces a Coze page's hard-coded token with short-lived tokens from cozeauth at "+base+", refreshed ahead of expiry.")
	for _, m := range match {
		line("match", m)
	}
	line("connect", host)
	for _, g := range []string{"GM_xmlhttpRequest", "GM_getValue", "GM_setValue", "GM_registerMenuCommand", "unsafeWindow"} {
		line("grant", g)
	}
	line("run-at", "document-start")
	line("downloadURL", base+UserScriptPath)
	line("updateURL", base+UserScriptPath)
	b.WriteString("// ==/UserScript==\n\n")
	b.Write(clientJS)
	b.WriteString("\n")
	b.WriteString(strings.Replace(userScriptJS, "/*CONFIG*/", string(cj), 1))
	return []byte(b.String())
}
