package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/internal/human"
	"github.com/cozeauth/cozeauth/policy"
	"github.com/cozeauth/cozeauth/replica"
)

// summarize prints what was understood of cfg, never a secret: no key,
// no cookie secret, no client key hash.
func summarize(w io.Writer, cfg *config.Config) {
	row := func(indent, k, v string) { fmt.Fprintf(w, "%s%-13s  %s\n", indent, k, v) }
	row("", "configuration", cfg.Source)
	row("", "listen", cfg.Listen)
	row("", "default app", cfg.DefaultApp)
	row("", "session", fmt.Sprintf("%q when a caller names none", cfg.DefaultSession))
	row("", "cache", fmt.Sprintf("%d tokens at most, none served within %s of expiry", cfg.Cache.MaxEntries, cfg.Cache.Skew))
	if cfg.GatewayPrefix != "" {
		row("", "gateway", "Coze API calls under "+cfg.GatewayPrefix)
	}
	if cfg.Store != "" {
		row("", "store", replica.Redact(cfg.Store)+" (shared with the other replicas; not contacted by this check)")
	}
	for i := range cfg.Apps {
		summarizeApp(w, &cfg.Apps[i], cfg.DefaultApp)
	}
	summarizeAccess(w, cfg)
}

func summarizeApp(w io.Writer, a *config.App, defaultApp string) {
	row := func(k, v string) { fmt.Fprintf(w, "  %-11s  %s\n", k, v) }
	def := ""
	if a.Name == defaultApp {
		def = " (default)"
	}
	fmt.Fprintf(w, "\napp %s%s\n", a.Name, def)
	row("kind", kindText(a.Kind))
	if a.Channel {
		row("channel", "yes: Coze enforces each token's scope")
	} else if a.Kind == config.KindJWT {
		row("channel", "no: Coze ignores scope for this app; its tokens carry every permission it has")
	}
	row("region", regionName(a.Region))
	row("API base", a.APIBase)
	if a.Kind != config.KindPAT {
		row("token URL", a.TokenURL())
		row("app id", or(a.ClientID, "(missing)")+" (应用ID)")
	}
	switch {
	case a.JWT != nil:
		summarizeJWT(row, a)
	case a.PAT != nil:
		row("token", fmt.Sprintf("%s, from %s (never shown)", patForm(a.PAT.Token.Reveal()), or(a.PAT.TokenSource, "(not loaded: see the problems above)")))
	case a.Web != nil:
		row("login page", a.WWWBase)
		row("redirect", or(a.Web.RedirectURI, "(missing)"))
		if a.Web.ClientSecret != "" {
			row("secret", "client secret (客户端密钥) from "+a.Web.SecretSource+" (never shown)")
		} else {
			row("secret", "(not loaded: see the problems above)")
		}
	case a.PKCE != nil:
		row("login page", a.WWWBase)
		row("redirect", or(a.PKCE.RedirectURI, "(missing)"))
	}
	if a.Kind.UserDelegated() {
		row("workspace", or(a.WorkspaceID(), "(none: logins cover the person's whole account)"))
	}
	switch {
	case a.Kind == config.KindPAT:
		row("serving", "the gateway injects the token; /token never hands it out")
	case a.Kind.UserDelegated():
		if a.Kind == config.KindDevice {
			row("serving", "refreshes each user's grant from the grant store (data_dir); log users in with `cozeauth login`")
		} else {
			row("serving", "refreshes each user's grant from the grant store (data_dir); users log in through POST /connect links")
		}
	}
	row("scope", scopeText(a.Scope, "(none: the app's full permissions)"))
	if !a.MintRate.Unlimited() {
		row("mint cap", rateText(a.MintRate))
	}
}

func summarizeJWT(row func(k, v string), a *config.App) {
	j := a.JWT
	row("aud", a.Audience)
	row("key id", or(j.KeyID, "(missing)")+" (公钥指纹)")
	if j.Key != nil {
		row("key", fmt.Sprintf("RSA %d bits, %s, from %s", j.Key.N.BitLen(), coze.Fingerprint(&j.Key.PublicKey), j.KeySource))
	} else {
		row("key", "(not loaded: see the problems above)")
	}
	row("duration", fmt.Sprintf("%d s (%s) per token; each assertion lives %s", a.Duration, human.Duration(secs(a.Duration)), human.Duration(j.AssertionTTL)))
}

// kindText names a kind as the Coze console does.
func kindText(k config.Kind) string {
	switch k {
	case config.KindJWT:
		return "jwt (服务类应用, OAuth JWT app)"
	case config.KindPAT:
		return "pat (个人/服务访问令牌, personal or service access token)"
	case config.KindWeb:
		return "web (OAuth 授权码, web app with a client secret)"
	case config.KindPKCE:
		return "pkce (OAuth PKCE, app without a secret)"
	case config.KindDevice:
		return "device (OAuth 设备授权, device code)"
	}
	return "(not valid: see the problems above)"
}

// patForm says what kind of token a PAT app holds, from its prefix only.
func patForm(tok string) string {
	switch {
	case tok == "":
		return "(missing)"
	case strings.HasPrefix(tok, "pat_"):
		return "personal access token (pat_…)"
	case strings.HasPrefix(tok, "sat_"):
		return "service access token (sat_…)"
	}
	return "a token of another form (a self-hosted Coze Studio's?)"
}

func summarizeAccess(w io.Writer, cfg *config.Config) {
	ac := &cfg.Access
	fmt.Fprintln(w)
	if ac.Open() {
		fmt.Fprintln(w, "access         open: no policies or clients, so anyone who can connect gets a token (fine on loopback)")
		return
	}
	for _, p := range ac.Policies {
		fmt.Fprintf(w, "policy %s\n", p.Name)
		row := func(k, v string) { fmt.Fprintf(w, "  %-11s  %s\n", k, v) }
		row("apps", or(strings.Join(p.Apps, ", "), "(none: allows nothing)"))
		session := string(p.Mode())
		switch {
		case p.Mode() == policy.SessionFixed:
			session += fmt.Sprintf(" (%q)", p.SessionValue)
		case p.Mode() == policy.SessionPrefix:
			session += " (each client's own sessions)"
		case p.Mode() == policy.SessionCookie:
			session += " (each visitor's own session, from a signed cookie)"
		}
		row("session", session)
		row("duration", fmt.Sprintf("default %s, at most %s", durOrDefault(p.DefaultDuration, "the app's"),
			durOrDefault(p.MaxDuration, "the app's ("+appDurations(cfg, p.Apps)+")")))
		row("scope", scopeText(p.MaxScope, "(none: the app's scope, or its full permissions when it has none)"))
		if p.GatewayOnly {
			row("raw tokens", "no: gateway only (POST /token answers 403); the gateway enforces the policy")
		} else {
			row("raw tokens", "yes: POST /token hands out tokens")
		}
		if p.SessionContext {
			row("session ctx", "callers may send session_context")
		}
		if p.Public || len(p.Origins) > 0 {
			row("origins", fmt.Sprintf("%s (public: %v)", strings.Join(p.Origins, ", "), p.Public))
		}
		if !p.PerKey.Unlimited() {
			row("per key", rateText(p.PerKey))
		}
		if !p.PerIP.Unlimited() {
			row("per IP", rateText(p.PerIP))
		}
		if p.Paths != nil {
			row("API paths", strings.Join(p.Paths, ", "))
		}
	}
	var clients []string
	for _, c := range ac.Clients {
		clients = append(clients, c.Name+" → "+c.Policy+certNote(c.CertSPKI))
	}
	fmt.Fprintf(w, "clients        %d: %s\n", len(clients), or(strings.Join(clients, ", "), "(none)"))
	if ac.KeysFile != "" {
		fmt.Fprintf(w, "keys file      %s\n", ac.KeysFile)
	}
}

// appDurations lists the default durations of the named apps.
func appDurations(cfg *config.Config, apps []string) string {
	var parts []string
	for _, name := range apps {
		if a, ok := cfg.App(name); ok && name != "" {
			parts = append(parts, fmt.Sprintf("%s: %d s", a.Name, a.Duration))
		}
	}
	return or(strings.Join(parts, ", "), "none")
}

func scopeText(s *coze.Scope, none string) string {
	if s == nil {
		return none
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// rateText is the rate as the configuration writes it ("10/m burst 5").
func rateText(r policy.Rate) string { return r.String() }

func durOrDefault(n int, d string) string {
	if n == 0 {
		return d
	}
	return fmt.Sprintf("%d s", n)
}

func regionName(r coze.Region) string {
	switch r {
	case coze.RegionCN:
		return "cn (coze.cn, 扣子)"
	case coze.RegionCOM:
		return "com (coze.com)"
	}
	return "(custom API base)"
}

func secs(n int) time.Duration { return time.Duration(n) * time.Second }

func or(s, d string) string {
	if s != "" {
		return s
	}
	return d
}
