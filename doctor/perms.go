package doctor

import (
	"strings"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/internal/secfile"
)

// PermissionWarnings lists the configuration's warnings (config flags the
// config file, key files and the keys file when group or others can read
// them) and adds any coze_oauth_config.json holding a private key or a
// client secret that others can read.
func PermissionWarnings(cfg *config.Config) []string {
	out := append([]string(nil), cfg.Warnings...)
	seen := map[string]bool{}
	for _, a := range cfg.Apps {
		var src, what string
		switch {
		case a.JWT != nil:
			src, what = a.JWT.KeySource, "private_key"
		case a.Web != nil:
			src, what = a.Web.SecretSource, "client_secret"
		}
		path, field, ok := strings.Cut(src, ": ") // "PATH: private_key" when the secret came from a console download
		if !ok || field != what || seen[path] {
			continue
		}
		seen[path] = true
		if w := secfile.Warning(path, "a coze_oauth_config.json with the "+strings.ReplaceAll(what, "_", " ")+" of app "+a.Name); w != "" {
			out = append(out, w)
		}
	}
	return out
}
