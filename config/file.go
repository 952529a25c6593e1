package config

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"
)

// fileConfig is the YAML config file.
type fileConfig struct {
	Listen         string        `yaml:"listen"`
	MetricsListen  string        `yaml:"metrics_listen"`
	DefaultSession string        `yaml:"default_session"`
	DefaultApp     string        `yaml:"default_app"`
	Cache          rawCache      `yaml:"cache"`
	Apps           []rawApp      `yaml:"apps"`
	Policies       []rawPolicy   `yaml:"policies"`
	Clients        []ClientEntry `yaml:"clients"`
	KeysFile       string        `yaml:"keys_file"`
	Cookie         rawCookie     `yaml:"cookie"`
	TrustProxy     bool          `yaml:"trust_proxy"`
	GatewayPrefix  string        `yaml:"gateway_prefix"`
	DataDir        string        `yaml:"data_dir"`
	StoreKeyFile   string        `yaml:"store_key_file"`
	Store          string        `yaml:"store"`
	Login          rawLogin      `yaml:"login"`
	AllowedHosts   []string      `yaml:"allowed_hosts"`
	AdminClients   []string      `yaml:"admin_clients"`
	Audit          rawAudit      `yaml:"audit"`
	Gateway        rawGateway    `yaml:"gateway"`
	UserScript     rawUserScript `yaml:"user_script"`
	TLS            rawTLS        `yaml:"tls"`
}

type rawCache struct {
	MaxEntries int    `yaml:"max_entries"`
	MaxBytes   string `yaml:"max_bytes"`
	Skew       string `yaml:"skew"`
}

// LoadFile reads a YAML config file whole (see ReadStable) and validates
// it.
func LoadFile(path string) (*Config, error) {
	data, err := ReadStable(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	fc, e, err := decodeFile(path, data)
	if err != nil {
		return nil, err
	}
	c := &Config{Source: path, Listen: fc.Listen, MetricsListen: fc.MetricsListen, DefaultSession: fc.DefaultSession, DefaultApp: fc.DefaultApp, GatewayPrefix: fc.GatewayPrefix,
		DataDir: relativeTo(path, fc.DataDir), StoreKeyFile: relativeTo(path, fc.StoreKeyFile), Store: fc.Store}
	for i, u := range fc.Login.ReturnTo {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || p.User != nil || p.Fragment != "" {
			e.add(fmt.Sprintf("login.return_to[%d]", i), "write an absolute URL prefix such as https://app.example.com/account/", "%q is not an http(s) URL prefix", u)
		}
		c.LoginReturnTo = append(c.LoginReturnTo, u)
	}
	c.Cache.MaxEntries = fc.Cache.MaxEntries
	if fc.Cache.MaxBytes != "" {
		n, err := ParseSize(fc.Cache.MaxBytes)
		if err != nil || n < 1<<20 || n > 64<<30 {
			e.add("cache.max_bytes", "use a size from 1MiB to 64GiB, e.g. 128MiB", "%q is not valid", fc.Cache.MaxBytes)
		}
		c.Cache.MaxBytes = n
	}
	c.Gateway = fc.Gateway.resolve(e)
	c.TLS = fc.TLS.resolve(path, tlsFileNames, e)
	if fc.Cache.Skew != "" {
		d, err := time.ParseDuration(fc.Cache.Skew)
		if err != nil || d < 0 || d > 10*time.Minute {
			e.add("cache.skew", "use a Go duration up to 10m, e.g. 30s", "%q is not valid", fc.Cache.Skew)
		}
		c.Cache.Skew = d
	}
	if len(fc.Apps) == 0 {
		e.add("apps", "add at least one app: name, region and the fields of its kind (jwt: client_id, key_id, private_key_file; pat: token_file; web: oauth_config_file or client_id, client_secret_file, redirect_uri)", "no apps configured")
	}
	dir := filepath.Dir(path)
	seen := map[string]bool{}
	for i := range fc.Apps {
		r := &fc.Apps[i]
		r.prefix = fmt.Sprintf("apps[%d].", i)
		r.dir = dir
		a := r.resolve(e)
		if seen[a.Name] {
			e.add(r.field("name"), "give each app its own name", "duplicate app name %q", a.Name)
		}
		seen[a.Name] = true
		c.Apps = append(c.Apps, a)
	}
	c.finish(e)
	c.resolveAccess(&fc, dir, e)
	c.resolveEdge(&fc, e)
	c.resolveUserScript(&fc, e)
	c.Warnings = append(c.Warnings, e.warnings...)
	c.Warnings = append(c.Warnings, permissionWarnings(path, c, &fc)...)
	return c, e.err()
}

// finish fills defaults and checks cross-field rules.
func (c *Config) finish(e *errs) {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.DefaultSession == "" {
		c.DefaultSession = DefaultSession
	}
	if err := ValidSessionName(c.DefaultSession); err != nil {
		e.add("default_session", "use printable text up to 256 bytes", "%v", err)
	}
	if c.GatewayPrefix != "" {
		c.GatewayPrefix = "/" + strings.Trim(c.GatewayPrefix, "/")
		if strings.ContainsAny(c.GatewayPrefix, "%?#. ") || c.GatewayPrefix == "/token" || c.GatewayPrefix == "/callback" {
			e.add("gateway_prefix", "use a plain path such as /coze", "%q is not a usable prefix", c.GatewayPrefix)
		}
	}
	if c.Cache.MaxEntries == 0 {
		c.Cache.MaxEntries = DefaultMaxEntries
	}
	if c.Cache.MaxEntries < 1 || c.Cache.MaxEntries > 10_000_000 {
		e.add("cache.max_entries", "use 1..10000000", "%d is out of range", c.Cache.MaxEntries)
	}
	if c.Cache.MaxBytes == 0 {
		c.Cache.MaxBytes = DefaultMaxBytes
	}
	if c.Cache.Skew == 0 {
		c.Cache.Skew = 30 * time.Second
	}
	if c.DefaultApp == "" && len(c.Apps) > 0 {
		c.DefaultApp = c.Apps[0].Name
	}
	if _, ok := c.App(c.DefaultApp); !ok && len(c.Apps) > 0 {
		e.add("default_app", "name one of the apps below", "no app named %q", c.DefaultApp)
	}
}

// rawLogin configures logins through serve (web and PKCE apps).
type rawLogin struct {
	ReturnTo []string `yaml:"return_to"`
}

// relativeTo resolves p against the directory of the config file at
// path; "" stays "".
func relativeTo(path, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(path), p)
}
