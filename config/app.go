package config

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

// rawApp is an app as written by the user, before validation.
type rawApp struct {
	Name            string      `yaml:"name"`
	Kind            string      `yaml:"kind"`
	Region          string      `yaml:"region"`
	ClientID        string      `yaml:"client_id"`
	KeyID           string      `yaml:"key_id"`
	PrivateKey      string      `yaml:"private_key"`
	PrivateKeyFile  string      `yaml:"private_key_file"`
	OAuthConfigFile string      `yaml:"oauth_config_file"`
	APIBase         string      `yaml:"api_base"`
	WWWBase         string      `yaml:"www_base"`
	WSBase          string      `yaml:"ws_base"`
	Audience        string      `yaml:"audience"`
	TokenURL        string      `yaml:"token_url"`
	AccountID       string      `yaml:"account_id"`
	EnterpriseID    string      `yaml:"enterprise_id"`
	DurationSeconds int         `yaml:"duration_seconds"`
	AssertionTTL    string      `yaml:"assertion_ttl"`
	Scope           *coze.Scope `yaml:"scope"`
	MintRate        string      `yaml:"mint_rate"`
	Channel         bool        `yaml:"channel"`

	// names maps a yaml field name to what the user wrote (an env var
	// name, a JSON field); empty means prefix + yaml name.
	names  map[string]string
	prefix string
	dir    string // relative file paths resolve against it
}

func (r *rawApp) field(name string) string {
	if n, ok := r.names[name]; ok {
		return n
	}
	return r.prefix + name
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
	a := App{Name: r.Name, Kind: strings.ToLower(orDefault(r.Kind, "jwt")), ClientID: strings.TrimSpace(r.ClientID),
		KeyID: strings.TrimSpace(r.KeyID), AccountID: r.AccountID, EnterpriseID: r.EnterpriseID}
	if !appNameRE.MatchString(a.Name) {
		e.add(r.field("name"), "use letters, digits, '.', '_' or '-', at most 64", "app name %q is not valid", a.Name)
	}
	if a.Kind != "jwt" {
		e.add(r.field("kind"), "only JWT apps (服务类应用) are supported by this version; create a JWT app in the Coze console", "unsupported app kind %q", a.Kind)
	}
	switch {
	case a.ClientID == "":
		e.add(r.field("client_id"), "copy the app id (应用ID) from the Coze console's OAuth app page", "missing")
	case !numericRE.MatchString(a.ClientID):
		e.add(r.field("client_id"), "the app id (应用ID) is a number such as 1171234567890; did you paste the key id or app name?", "%q is not a numeric app id", a.ClientID)
	}
	switch {
	case a.KeyID == "":
		e.add(r.field("key_id"), "copy the public key id (公钥指纹) shown next to the uploaded key in the Coze console", "missing")
	case strings.Contains(a.KeyID, "BEGIN") || len(a.KeyID) > 128 || strings.ContainsAny(a.KeyID, " \n\t"):
		e.add(r.field("key_id"), "the key id (公钥指纹) is a short string from the console, not a PEM key", "does not look like a public key id")
	}
	r.resolveKey(&a, e)
	r.resolveEndpoints(&a, e)
	a.Duration = r.DurationSeconds
	if a.Duration == 0 {
		a.Duration = coze.DefaultDuration
	}
	if err := coze.ValidDuration(a.Duration); err != nil {
		e.add(r.field("duration_seconds"), "use 1..86399 seconds (900 is Coze's default)", "%d is out of range", a.Duration)
	}
	a.AssertionTTL = coze.DefaultAssertionTTL
	if r.AssertionTTL != "" {
		d, err := time.ParseDuration(r.AssertionTTL)
		if err != nil || d < 30*time.Second || d > time.Hour {
			e.add(r.field("assertion_ttl"), "use a Go duration between 30s and 1h, e.g. 5m; the assertion is used once", "%q is not valid", r.AssertionTTL)
		} else {
			a.AssertionTTL = d
		}
	}
	a.Scope = r.Scope
	checkScopeLists(e, r.field("scope"), a.Scope)
	a.Channel = r.Channel
	rate, err := ParseRate(r.MintRate)
	if err != nil {
		e.add(r.field("mint_rate"), `write "N/s" (optionally "burst M"): the most mints per second sent to Coze for this app`, "%v", err)
	}
	a.MintRate = rate
	return a
}

func (r *rawApp) resolveKey(a *App, e *errs) {
	field := r.field("private_key")
	data := []byte(r.PrivateKey)
	a.KeySource = field
	switch {
	case r.PrivateKey != "" && r.PrivateKeyFile != "":
		e.add(field, "give the key inline or as a file, not both", "both %s and %s are set", field, r.field("private_key_file"))
		return
	case r.PrivateKeyFile != "":
		field = r.field("private_key_file")
		path := r.path(r.PrivateKeyFile)
		a.KeySource = "file " + path
		a.KeyFile = path
		b, err := os.ReadFile(path)
		if err != nil {
			e.add(field, "check the path; keys made by `cozeauth keygen` are in its --out directory", "cannot read the private key: %v", err)
			return
		}
		data = b
	case r.PrivateKey == "":
		e.add(field, "give the app's RSA private key (PEM) inline or as "+r.field("private_key_file"), "missing")
		return
	}
	k, err := coze.ParsePrivateKey(data)
	if err != nil {
		e.add(field, "", "%v", err)
		return
	}
	a.Key = k
}

func (r *rawApp) resolveEndpoints(a *App, e *errs) {
	if r.TokenURL != "" {
		u, err := url.Parse(r.TokenURL)
		i := strings.Index(r.TokenURL, tokenPathS)
		if err != nil || u.Host == "" || i < 0 {
			e.add(r.field("token_url"), "use the full token URL, e.g. https://api.coze.cn/api/permission/oauth2/token", "%q is not a Coze token URL", r.TokenURL)
		} else if r.APIBase == "" {
			r.APIBase = r.TokenURL[:i]
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
		e.add(r.field("api_base"), "use https://api.coze.cn or https://api.coze.com", "%v", err)
	}
	if r.Region != "" && coze.RegionOf(a.APIBase) == "" {
		// An explicit region with an API base elsewhere (an egress proxy,
		// an emulator): Coze still expects the region's aud.
		aud = a.Region.Audience()
	}
	if a.Region == "" {
		a.Region = coze.RegionOf(a.APIBase)
	}
	a.Audience = orDefault(r.Audience, aud)
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

func orDefault(s, d string) string {
	if s != "" {
		return s
	}
	return d
}
