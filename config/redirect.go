package config

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// checkRedirectURI reports what is wrong with a redirect URI that Coze
// sends a browser back to after a login: it must be an absolute http(s)
// URL without user info or fragment, and https unless its host is this
// machine (localhost, 127.0.0.0/8, ::1), where a browser's traffic never
// leaves the machine.
func checkRedirectURI(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL", s)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q is not an absolute http:// or https:// URL", s)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("%q has no host", s)
	case u.User != nil:
		return fmt.Errorf("%q carries a user name or password", s)
	case u.Fragment != "" || strings.Contains(s, "#"):
		return fmt.Errorf("%q has a #fragment, which OAuth redirect URIs may not have", s)
	case u.Scheme == "http" && !loopbackHost(u.Hostname()):
		return fmt.Errorf("%q is plain http on a host other than this machine: the login code would cross the network in clear", s)
	}
	return nil
}

func loopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// resolveRedirectURI is the redirect URI a web or pkce app uses:
// redirect_uri as written, else the first of the console download's
// redirect_uris. A redirect_uri that the download does not list is
// warned about: Coze refuses a login with an unregistered redirect URI.
func (r *rawApp) resolveRedirectURI(e *errs) string {
	field := r.field("redirect_uri")
	v := strings.TrimSpace(r.RedirectURI)
	if d := r.download; d != nil && len(d.RedirectURIs) > 0 {
		if v == "" {
			v = strings.TrimSpace(d.RedirectURIs[0])
			field = r.field("oauth_config_file") + ": redirect_uris[0]"
		} else if !containsTrimmed(d.RedirectURIs, v) {
			e.warn(fmt.Sprintf("%s: %s is not among the redirect URIs of %s (%s): Coze refuses a login whose redirect URI the app has not registered; add it in the Coze console",
				field, redact(v), r.field("oauth_config_file"), redact(strings.Join(d.RedirectURIs, ", "))))
		}
	}
	if v == "" {
		e.add(field, "give the URL Coze sends the browser back to after login (重定向 URL), exactly as registered in the Coze console",
			"missing: a %s app needs a redirect URI", r.Kind)
		return ""
	}
	if err := checkRedirectURI(v); err != nil {
		e.add(field, "use the redirect URL registered in the Coze console: https://…, or http://localhost… / http://127.0.0.1… for a login on this machine", "%v", err)
		return ""
	}
	return v
}

func containsTrimmed(list []string, v string) bool {
	for _, s := range list {
		if strings.TrimSpace(s) == v {
			return true
		}
	}
	return false
}
