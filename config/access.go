package config

import (
	"cmp"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/policy"
)

// Access is who may get what: policies and the clients holding keys. It
// can be reloaded while serving.
type Access struct {
	Policies []policy.Policy
	Clients  []policy.Client // from the config file and the keys file
	KeysFile string          // where `cozeauth keys` writes; "" for none
	Cookie   Cookie
	// TrustProxy takes the caller's IP from X-Forwarded-For (set it only
	// behind a reverse proxy that overwrites that header).
	TrustProxy bool
	// AllowedHosts are Host names accepted besides loopback ones (edge.go).
	AllowedHosts []string
	// AdminClients may read /readyz's details with their key.
	AdminClients []string
	Audit        Audit
}

// Open reports whether no policy or client is configured: the
// Worker-compatible mode in which anyone who can connect gets a token.
func (a *Access) Open() bool { return len(a.Policies) == 0 && len(a.Clients) == 0 }

// Policy returns the policy named name.
func (a *Access) Policy(name string) (*policy.Policy, bool) {
	for i := range a.Policies {
		if a.Policies[i].Name == name {
			return &a.Policies[i], true
		}
	}
	return nil, false
}

// Cookie configures the visitor cookie of public policies.
type Cookie struct {
	Secret   []byte // HMAC key; random per process when not configured
	SameSite string // lax (default), strict or none
	Secure   bool   // required by browsers with SameSite=None
	// MaxAge is how long a visitor cookie is valid after it was issued.
	MaxAge time.Duration
}

type rawPolicy struct {
	Name            string      `yaml:"name"`
	Apps            []string    `yaml:"apps"`
	Scope           *coze.Scope `yaml:"scope"`
	DefaultScope    *coze.Scope `yaml:"default_scope"`
	MaxDuration     int         `yaml:"max_duration"`
	DefaultDuration int         `yaml:"default_duration"`
	Session         string      `yaml:"session"`
	SessionValue    string      `yaml:"session_value"`
	Origins         []string    `yaml:"origins"`
	Public          bool        `yaml:"public"`
	RatePerKey      string      `yaml:"rate_per_key"`
	RatePerIP       string      `yaml:"rate_per_ip"`
	Paths           []string    `yaml:"paths"`
	GatewayOnly     bool        `yaml:"gateway_only"`
	HandOutPAT      bool        `yaml:"hand_out_pat"`
	SessionContext  bool        `yaml:"session_context"`
	// ExtensionOrigins: see extension.go.
	ExtensionOrigins []string `yaml:"allow_extension_origins"`
}

// ClientEntry is a client as written in the config or keys file: its
// name, policy and key hash, never the key.
type ClientEntry struct {
	Name    string    `yaml:"name"`
	Policy  string    `yaml:"policy"`
	KeyHash string    `yaml:"key_hash"`
	Created time.Time `yaml:"created,omitempty"`
	// CertSPKI authenticates the client by a TLS client certificate
	// (serve --tls-client-ca) in place of, or besides, a key: see
	// policy.SPKIHash.
	CertSPKI string `yaml:"cert_spki,omitempty"`
}

type rawCookie struct {
	Secret   string `yaml:"secret"`
	SameSite string `yaml:"same_site"`
	Secure   bool   `yaml:"secure"`
	MaxAge   string `yaml:"max_age"`
}

func (c *Config) resolveAccess(fc *fileConfig, dir string, e *errs) {
	a := &c.Access
	a.TrustProxy = fc.TrustProxy
	for _, app := range c.Apps {
		switch {
		case app.Scope != nil && app.Kind != KindJWT:
			c.Warnings = append(c.Warnings, fmt.Sprintf("app %q: a %s app sends Coze no scope: its tokens carry every permission it was granted; only the gateway of gateway_only policies enforces the scope", app.Name, app.Kind))
		case app.Scope != nil && !app.Channel:
			c.Warnings = append(c.Warnings, fmt.Sprintf("app %q: Coze ignores scope for apps that are not channel apps (channel: true): its tokens carry every permission the app has; only the gateway of gateway_only policies enforces the scope", app.Name))
		}
	}
	seen := map[string]bool{}
	for i, rp := range fc.Policies {
		p := rp.resolve(fmt.Sprintf("policies[%d].", i), c, e)
		if seen[p.Name] {
			e.add(fmt.Sprintf("policies[%d].name", i), "give each policy its own name", "duplicate policy %q", p.Name)
		}
		seen[p.Name] = true
		a.Policies = append(a.Policies, p)
	}
	for i, rc := range fc.Clients {
		a.Clients = append(a.Clients, rc.resolve(fmt.Sprintf("clients[%d].", i), a, e))
	}
	if fc.KeysFile != "" {
		a.KeysFile = fc.KeysFile
		if !filepath.IsAbs(a.KeysFile) {
			a.KeysFile = filepath.Join(dir, a.KeysFile)
		}
		clients, err := ReadKeysFile(a.KeysFile)
		if err != nil {
			e.add("keys_file", "run `cozeauth keys create` to make it, or fix the file", "%v", err)
		}
		for i, rc := range clients {
			sub := &errs{source: a.KeysFile}
			a.Clients = append(a.Clients, rc.resolve(fmt.Sprintf("clients[%d].", i), a, sub))
			e.list = append(e.list, sub.list...)
		}
	}
	names, hashes := map[string]bool{}, map[string]string{}
	for _, cl := range a.Clients {
		if names[cl.Name] {
			e.add("clients", "give each client its own name", "duplicate client %q", cl.Name)
		}
		names[cl.Name] = true
		h := strings.ToLower(cl.Hash)
		if other, dup := hashes[h]; dup && h != "" {
			e.add("clients", "give each client its own key (`cozeauth keys create`)", "clients %q and %q have the same key hash", other, cl.Name)
		}
		hashes[h] = cl.Name
	}
	a.Cookie.SameSite = strings.ToLower(cmp.Or(fc.Cookie.SameSite, "lax"))
	a.Cookie.Secure = fc.Cookie.Secure
	a.Cookie.MaxAge = cookieMaxAge(fc.Cookie.MaxAge, e)
	switch a.Cookie.SameSite {
	case "lax", "strict":
	case "none":
		if !a.Cookie.Secure {
			e.add("cookie.secure", "browsers drop SameSite=None cookies without Secure: set secure: true and serve over HTTPS", "same_site none needs secure")
		}
	default:
		e.add("cookie.same_site", "use lax, strict or none", "%q is not valid", fc.Cookie.SameSite)
	}
	if fc.Cookie.Secret != "" {
		s, err := decodeSecret(fc.Cookie.Secret)
		if err != nil {
			e.add("cookie.secret", "use at least 32 random bytes, hex or base64 (e.g. `openssl rand -hex 32`)", "%v", err)
		}
		a.Cookie.Secret = s
	}
}

func (rp *rawPolicy) resolve(prefix string, c *Config, e *errs) policy.Policy {
	p := policy.Policy{Name: rp.Name, Apps: rp.Apps, MaxScope: rp.Scope, DefaultScope: rp.DefaultScope,
		MaxDuration: rp.MaxDuration, DefaultDuration: rp.DefaultDuration,
		Session: policy.SessionMode(rp.Session), SessionValue: rp.SessionValue, Public: rp.Public,
		GatewayOnly: rp.GatewayOnly, SessionContext: rp.SessionContext, HandOutPAT: rp.HandOutPAT}
	if p.HandOutPAT && p.Public {
		e.add(prefix+"hand_out_pat", "never give anonymous browsers a personal access token: remove hand_out_pat, and let the widget call the gateway", "hand_out_pat on a public policy")
	}
	p.Session = p.Mode() // omitted: prefix, or cookie when public
	if !appNameRE.MatchString(p.Name) {
		e.add(prefix+"name", "use letters, digits, '.', '_' or '-', at most 64", "policy name %q is not valid", p.Name)
	}
	if len(p.Apps) == 0 {
		e.add(prefix+"apps", "list the apps this policy may use, e.g. apps: [my-app]; a policy allows no app it does not name", "missing: a policy without apps allows nothing")
	}
	var apps []*App
	for _, name := range p.Apps {
		if a, ok := c.App(name); !ok || name == "" {
			e.add(prefix+"apps", "name apps defined under apps:", "no app named %q", name)
		} else {
			apps = append(apps, a)
		}
	}
	if p.MaxDuration != 0 && coze.ValidDuration(p.MaxDuration) != nil {
		e.add(prefix+"max_duration", "use 1..86399 seconds", "%d is out of range", p.MaxDuration)
	}
	if p.DefaultDuration != 0 && coze.ValidDuration(p.DefaultDuration) != nil {
		e.add(prefix+"default_duration", "use 1..max_duration seconds", "%d is out of range", p.DefaultDuration)
	} else if p.DefaultDuration != 0 {
		for _, a := range apps {
			if maxD := cmp.Or(p.MaxDuration, a.Duration); p.DefaultDuration > maxD {
				e.add(prefix+"default_duration", "use at most max_duration (when omitted, each app's duration_seconds)",
					"%d is over the most this policy allows for app %q (%d)", p.DefaultDuration, a.Name, maxD)
			}
		}
	}
	checkScopeLists(e, prefix+"scope", p.MaxScope)
	checkScopeLists(e, prefix+"default_scope", p.DefaultScope)
	if p.DefaultScope != nil {
		for _, a := range apps {
			if _, why := policy.Narrow(p.DefaultScope, cmp.Or(p.MaxScope, a.Scope)); why != "" {
				e.add(prefix+"default_scope", "make the default scope a part of scope (when omitted, of each app's scope)", "exceeds what the policy allows for app %q: %s", a.Name, why)
			}
		}
	}
	if p.MaxScope != nil {
		for _, a := range apps {
			if a.Scope != nil {
				if _, why := policy.Narrow(p.MaxScope, a.Scope); why != "" {
					e.add(prefix+"scope", "a policy narrows its apps' scope: keep within the scope of app "+strconv.Quote(a.Name), "exceeds app %q's scope: %s", a.Name, why)
				}
			}
		}
	}
	switch p.Session {
	case policy.SessionTrust, policy.SessionPrefix:
	case policy.SessionFixed:
		if err := ValidSessionName(p.SessionValue); err != nil || p.SessionValue == "" {
			e.add(prefix+"session_value", "give the session name every caller of this policy shares", "missing or invalid")
		} else if strings.Contains(p.SessionValue, policy.SessionSep) {
			e.add(prefix+"session_value", "use a name without ':', which separates the sessions cozeauth keeps per client and visitor", "%q contains ':'", p.SessionValue)
		}
	case policy.SessionCookie:
		if !p.Public {
			e.add(prefix+"session", "cookie sessions are for public policies: set public: true", "cookie session without public")
		}
	default:
		e.add(prefix+"session", "use trust, prefix, fixed or cookie", "%q is not a session mode", rp.Session)
	}
	for _, o := range rp.Origins {
		norm, err := normOrigin(o)
		if err != nil {
			e.add(prefix+"origins", "write origins as scheme://host[:port], e.g. https://www.example.com", "%v", err)
		}
		p.Origins = append(p.Origins, norm)
	}
	p.ExtensionOrigins = rp.extensionOrigins(prefix, e)
	if p.Public {
		if len(p.Origins) == 0 {
			e.add(prefix+"origins", "a public policy serves browsers on listed origins only: list them", "public policy without origins")
		}
		if p.Session != policy.SessionCookie && p.Session != policy.SessionFixed {
			e.add(prefix+"session", "a public caller must not pick its session: use session: cookie", "public policy with session %q", p.Session)
		}
		if p.MaxScope == nil {
			e.add(prefix+"scope", "a public policy must narrow the token, e.g. Connector.botChat on listed bot ids", "public policy without scope")
		}
		if rp.RatePerIP == "" {
			e.add(prefix+"rate_per_ip", "a public policy needs a per-IP limit, e.g. 1/s burst 10", "missing")
		}
	}
	if rp.Paths != nil {
		p.Paths = []string{}
	}
	checkEnforcement(prefix, &p, apps, e)
	for _, path := range rp.Paths {
		if !ValidGatewayPath(path) {
			e.add(prefix+"paths", "list Coze API paths such as /v3/chat or /v1/files/upload (prefixes match whole segments)", "%q is not a Coze API path", path)
		}
		p.Paths = append(p.Paths, path)
	}
	var err error
	if p.PerKey, err = ParseRate(rp.RatePerKey); err != nil {
		e.add(prefix+"rate_per_key", `write "N/s", "N/m" or "N/h", optionally "burst M"`, "%v", err)
	}
	if p.PerIP, err = ParseRate(rp.RatePerIP); err != nil {
		e.add(prefix+"rate_per_ip", `write "N/s", "N/m" or "N/h", optionally "burst M"`, "%v", err)
	}
	return p
}

func (rc *ClientEntry) resolve(prefix string, a *Access, e *errs) policy.Client {
	cl := policy.Client{Name: rc.Name, Policy: rc.Policy, Hash: rc.KeyHash, Created: rc.Created, CertSPKI: rc.CertSPKI}
	if !appNameRE.MatchString(cl.Name) {
		e.add(prefix+"name", "use letters, digits, '.', '_' or '-', at most 64", "client name %q is not valid", cl.Name)
	}
	if p, ok := a.Policy(cl.Policy); !ok {
		e.add(prefix+"policy", "name a policy defined under policies:", "no policy named %q", cl.Policy)
	} else if p.Public {
		e.add(prefix+"policy", "public policies take no keys; give the client a non-public policy", "policy %q is public", cl.Policy)
	}
	if cl.CertSPKI != "" {
		if err := policy.ValidSPKIHash(cl.CertSPKI); err != nil {
			e.add(prefix+"cert_spki", "compute it with: openssl x509 -in client.crt -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum (then write sha256:<hex>)", "%v", err)
		}
	}
	if cl.Hash == "" && cl.CertSPKI != "" {
		return cl // known by its TLS client certificate only
	}
	if err := policy.ValidHash(cl.Hash); err != nil {
		e.add(prefix+"key_hash", "paste the hash `cozeauth keys create` printed, never the key (or give cert_spki for a client with a TLS certificate)", "%v", err)
	}
	return cl
}

// GatewayRoots are the Coze API path roots the gateway forwards.
var GatewayRoots = []string{"/v1/", "/v3/", "/open_api/"}

// ValidGatewayPath reports whether p is a clean path under a gateway root.
func ValidGatewayPath(p string) bool {
	ok := false
	for _, r := range GatewayRoots {
		ok = ok || strings.HasPrefix(p, r)
	}
	return ok && !strings.Contains(p, "..") && !strings.Contains(p, "//") && !strings.ContainsAny(p, "%?#\\ ")
}

func normOrigin(o string) (string, error) {
	u, err := url.Parse(strings.TrimRight(o, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" || o == "*" {
		return "", fmt.Errorf("%q is not an origin", o)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

func decodeSecret(s string) ([]byte, error) {
	if isPlaceholder(s) {
		return nil, errPlaceholder
	}
	if b, err := hex.DecodeString(s); err == nil && len(b) >= 32 {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) >= 32 {
			return b, nil
		}
	}
	return nil, errors.New("not 32 or more bytes of hex or base64")
}

// checkScopeLists refuses a configured scope that would restrict nothing
// where it seems to: an empty scope object, or a missing or empty list in
// a part it names (Coze reads a missing or empty list as no restriction).
func checkScopeLists(e *errs, field string, sc *coze.Scope) {
	if sc == nil {
		return
	}
	if len(policy.Restricted(sc)) == 0 {
		e.add(field, "list what the token may do (e.g. account_permission: {permission_list: [Connector.botChat]}), or leave scope out",
			"the scope is empty: it would restrict nothing")
		return
	}
	check := func(name string, present bool, l []string) {
		if present && len(l) == 0 {
			e.add(field+"."+name, "list the values the token is limited to, or remove the part",
				"missing or empty: it would restrict nothing or allow none")
		}
	}
	if a := sc.AccountPermission; a != nil {
		check("account_permission.permission_list", true, a.PermissionList)
	}
	if w := sc.WorkspacePermission; w != nil {
		check("workspace_permission.workspace_id_list", true, w.WorkspaceIDList)
		check("workspace_permission.permission_list", true, w.PermissionList)
	}
	if w := sc.WorkflowPermission; w != nil {
		check("workflow_permission.workflow_id_list", true, w.WorkflowIDList)
		check("workflow_permission.permission_list", true, w.PermissionList)
	}
	if a := sc.AttributeConstraint; a != nil {
		check("attribute_constraint.connector_bot_chat_attribute.bot_id_list", a.ConnectorBotChatAttribute != nil,
			botList(a.ConnectorBotChatAttribute))
		if a.ConnectorBotChatAttribute == nil {
			e.add(field+".attribute_constraint", "list the bots under connector_bot_chat_attribute: {bot_id_list: [...]}, or remove attribute_constraint",
				"no connector_bot_chat_attribute: it would restrict nothing")
		}
	}
}

func botList(b *coze.BotChatAttribute) []string {
	if b == nil {
		return nil
	}
	return b.BotIDList
}
