package config

import (
	"cmp"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/cozeauth/cozeauth/coze"
)

// rawApp is an app as written by the user, before validation: the fields
// every kind has here, each kind's own in its file (app_jwt.go, …).
type rawApp struct {
	Name            string      `yaml:"name"`
	Kind            string      `yaml:"kind"`
	Region          string      `yaml:"region"`
	ClientID        string      `yaml:"client_id"`
	OAuthConfigFile string      `yaml:"oauth_config_file"`
	APIBase         string      `yaml:"api_base"`
	WWWBase         string      `yaml:"www_base"`
	WSBase          string      `yaml:"ws_base"`
	Audience        string      `yaml:"audience"`
	TokenURL        string      `yaml:"token_url"`
	AccountID       string      `yaml:"account_id"`
	EnterpriseID    string      `yaml:"enterprise_id"`
	DurationSeconds int         `yaml:"duration_seconds"`
	Scope           *coze.Scope `yaml:"scope"`
	MintRate        string      `yaml:"mint_rate"`
	Channel         bool        `yaml:"channel"`

	rawJWT    `yaml:",inline"`
	rawPAT    `yaml:",inline"`
	rawWeb    `yaml:",inline"`
	rawPKCE   `yaml:",inline"`
	rawDevice `yaml:",inline"`

	// names maps a yaml field name to what the user wrote (an env var
	// name, a JSON field); empty means prefix + yaml name.
	names  map[string]string
	prefix string
	dir    string // relative file paths resolve against it
	env    bool   // read from the environment: other kinds' variables are ignored
	// download is the console download merged in, if any.
	download *coze.OAuthConfig
}

func (r *rawApp) field(name string) string {
	if n, ok := r.names[name]; ok {
		return n
	}
	return r.prefix + name
}

// setName records where a field's value came from.
func (r *rawApp) setName(field, name string) {
	if r.names == nil {
		r.names = map[string]string{}
	}
	r.names[field] = name
}

var (
	appNameRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	numericRE  = regexp.MustCompile(`^[0-9]{1,32}$`)
	tokenPathS = "/api/permission/oauth2/"
)

// resolve validates r into an App, reporting every problem to e.
func (r *rawApp) resolve(e *errs) App {
	if r.OAuthConfigFile != "" {
		r.mergeOAuthConfig(e)
	}
	a := App{Name: r.Name, AccountID: r.AccountID, EnterpriseID: r.EnterpriseID}
	if !appNameRE.MatchString(a.Name) {
		e.add(r.field("name"), "use letters, digits, '.', '_' or '-', at most 64", "app name %q is not valid", a.Name)
	}
	kind, err := ParseKind(r.Kind)
	if err != nil {
		e.add(r.field("kind"), "use jwt, pat, web, pkce or device (jwt when unset)", "%v", err)
		return a
	}
	a.Kind = kind
	r.checkKindFields(kind, e) // from the environment, clears other kinds' fields
	a.ClientID = strings.TrimSpace(r.ClientID)
	if kind != KindPAT {
		switch {
		case a.ClientID == "":
			e.add(r.field("client_id"), "copy the app id (应用ID) from the Coze console's OAuth app page", "missing")
		case !numericRE.MatchString(a.ClientID):
			e.add(r.field("client_id"), "the app id (应用ID) is a number such as 1171234567890; did you paste the key id or app name?", "%q is not a numeric app id", a.ClientID)
		}
	}
	switch kind {
	case KindJWT:
		a.JWT = r.resolveJWT(&a, e)
	case KindPAT:
		a.PAT = r.resolvePAT(e)
	case KindWeb:
		a.Web = r.resolveWeb(e)
	case KindPKCE:
		a.PKCE = r.resolvePKCE(e)
	case KindDevice:
		a.Device = r.resolveDevice(e)
	}
	r.resolveEndpoints(&a, e)
	a.Duration = r.DurationSeconds
	if a.Duration == 0 {
		a.Duration = coze.DefaultDuration
	}
	if err := coze.ValidDuration(a.Duration); err != nil {
		e.add(r.field("duration_seconds"), "use 1..86399 seconds (900 is Coze's default)", "%d is out of range", a.Duration)
	}
	a.Scope = r.Scope
	checkScopeLists(e, r.field("scope"), a.Scope)
	a.Channel = r.Channel
	if a.Channel && kind != KindJWT {
		e.add(r.field("channel"), "channel apps (渠道) are JWT apps; remove channel: true, or use kind: jwt",
			"a %s app is never a channel app", kind)
	}
	rate, err := ParseRate(r.MintRate)
	if err != nil {
		e.add(r.field("mint_rate"), `write "N/s" (optionally "burst M"): the most mints per second sent to Coze for this app`, "%v", err)
	}
	a.MintRate = rate
	return a
}

func (r *rawApp) resolveEndpoints(a *App, e *errs) {
	apiFromTokenURL := false
	if r.TokenURL != "" {
		u, err := url.Parse(r.TokenURL)
		i := strings.Index(r.TokenURL, tokenPathS)
		if err != nil || u.Host == "" || i < 0 {
			e.add(r.field("token_url"), "use the full token URL, e.g. https://api.coze.cn/api/permission/oauth2/token", "%q is not a Coze token URL", r.TokenURL)
		} else if r.APIBase == "" {
			r.APIBase, apiFromTokenURL = r.TokenURL[:i], true
			if rest := r.TokenURL[i+len(tokenPathS):]; rest != "token" {
				parts := strings.Split(rest, "/")
				if len(parts) == 3 && parts[0] == "account" {
					a.AccountID = parts[1]
				} else if len(parts) == 3 && parts[0] == "enterprise_id" {
					a.EnterpriseID = parts[1]
				}
			}
		}
	}
	if r.Region != "" {
		reg, err := coze.ParseRegion(r.Region)
		if err != nil {
			e.add(r.field("region"), "use cn for coze.cn (扣子) or com for coze.com", "%v", err)
		}
		a.Region = reg
	}
	a.APIBase = strings.TrimRight(r.APIBase, "/")
	switch {
	case a.APIBase == "" && a.Region != "":
		a.APIBase = a.Region.APIBase()
	case a.APIBase == "" && r.Audience != "":
		a.Region = coze.RegionOf("https://" + r.Audience)
		a.APIBase = "https://" + r.Audience
	case a.APIBase == "":
		a.Region = coze.RegionCN
		a.APIBase = a.Region.APIBase()
	}
	aud, err := coze.AudienceFor(a.APIBase)
	if err != nil {
		e.add(r.field("api_base"), "use https://api.coze.cn or https://api.coze.com, or your Coze's API address", "%v", err)
	}
	if r.Region != "" && coze.RegionOf(a.APIBase) == "" {
		// An explicit region with an API base elsewhere (an egress proxy,
		// an emulator): Coze still expects the region's aud.
		aud = a.Region.Audience()
	}
	if a.Region == "" {
		a.Region = coze.RegionOf(a.APIBase)
	}
	if workerDefaultAudience(r, apiFromTokenURL, a.APIBase) {
		a.Region, aud = coze.RegionCN, coze.RegionCN.Audience()
	}
	a.Audience = cmp.Or(r.Audience, aud)
	// An app lives in one region: settings that name two of them would
	// fail at Coze with "kid not been registred" or an aud mismatch.
	if apiRegion := coze.RegionOf(a.APIBase); apiRegion != "" {
		fix := "an app lives in one region: cn is https://api.coze.cn (aud api.coze.cn), com is https://api.coze.com (aud api.coze.com)"
		if a.Region != "" && a.Region != apiRegion {
			e.add(r.field("region"), fix, "region %s does not match the API base %s (region %s)", a.Region, a.APIBase, apiRegion)
		}
		if audRegion := coze.RegionOf("https://" + a.Audience); audRegion != "" && audRegion != apiRegion {
			e.add(r.field("audience"), fix, "audience %s is region %s but the API base %s is region %s", a.Audience, audRegion, a.APIBase, apiRegion)
		}
	}
	a.WWWBase = strings.TrimRight(r.WWWBase, "/")
	if a.WWWBase == "" && a.Region != "" {
		a.WWWBase = a.Region.WWWBase()
	}
	if a.WWWBase == "" && (a.Kind == KindWeb || a.Kind == KindPKCE) {
		e.add(r.field("www_base"), "give the address of your Coze's web pages, where people log in (e.g. https://www.coze.cn)",
			"missing: a %s app sends people to Coze's login page, and the API base %s is not coze.cn or coze.com", a.Kind, a.APIBase)
	}
	a.WSBase = strings.TrimRight(r.WSBase, "/")
	if a.WSBase == "" {
		a.WSBase = coze.WSBaseFor(a.APIBase)
	}
	if !strings.HasPrefix(a.WSBase, "ws://") && !strings.HasPrefix(a.WSBase, "wss://") {
		e.add(r.field("ws_base"), "use wss://ws.coze.cn or wss://ws.coze.com", "%q is not a ws:// or wss:// URL", a.WSBase)
	}
	if a.AccountID != "" && a.EnterpriseID != "" {
		e.add(r.field("account_id"), "an app exchanges at one token endpoint: keep one of them", "account_id and enterprise_id are both set")
	}
}

func (r *rawApp) path(p string) string {
	if r.dir == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(r.dir, p)
}
