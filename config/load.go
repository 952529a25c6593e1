package config

import (
	"cmp"
	"errors"
	"os"
)

// Options says where to look for configuration.
type Options struct {
	File   string              // YAML config file; wins over the environment
	Getenv func(string) string // os.Getenv when nil
}

// ErrNoConfig means no configuration was found anywhere.
var ErrNoConfig = errors.New("no Coze app configured: pass --config FILE, set COZEAUTH_CONFIG, or set CLIENT_ID, KID and PRIVATE_KEY (or COZE_OAUTH_CONFIG=coze_oauth_config.json, or COZE_API_TOKEN for a personal access token); try `cozeauth serve --demo` to run without a Coze account")

// Load finds and validates the configuration: the file in o.File or
// $COZEAUTH_CONFIG, else ./cozeauth.yaml when present, else the
// environment.
func Load(o Options) (*Config, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	path, why := o.File, "--config"
	if path == "" {
		path, why = getenv("COZEAUTH_CONFIG"), "$COZEAUTH_CONFIG"
	}
	if path == "" {
		if _, err := os.Stat("cozeauth.yaml"); err == nil {
			path, why = "cozeauth.yaml", "found in the working directory"
		}
	}
	var c *Config
	var err error
	switch {
	case path != "":
		c, err = LoadFile(path)
		if c != nil {
			c.Warnings = append(c.Warnings, envIgnoredWarning(getenv, path, why)...)
		}
	case !EnvSet(getenv):
		return nil, ErrNoConfig
	default:
		c, err = LoadEnv(getenv)
	}
	if err == nil {
		c.Store = cmp.Or(getenv(EnvStore), c.Store)
	}
	return c, err
}

// EnvStore names the variable that sets (or overrides) Config.Store.
const EnvStore = "COZEAUTH_STORE"
