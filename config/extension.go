package config

import (
	"regexp"
	"strings"
)

// Browser extensions (Tampermonkey, Violentmonkey) send a user script's
// GM_xmlhttpRequest from the extension itself, and the browser gives
// such a request the extension's origin: chrome-extension://<32 letters
// a-p> in Chromium browsers, moz-extension://<UUID> in Firefox,
// safari-web-extension://<UUID> in Safari. A keyed policy admits those
// listed under allow_extension_origins; nothing else about an extension
// origin is trusted (the client key still decides who the caller is).
var extensionOriginRE = regexp.MustCompile(`^(chrome-extension://[a-p]{32}|moz-extension://[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|safari-web-extension://[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`)

// extensionOrigins checks a policy's allow_extension_origins: exact
// extension origins, on policies whose callers hold a key.
func (rp *rawPolicy) extensionOrigins(prefix string, e *errs) []string {
	var out []string
	for _, o := range rp.ExtensionOrigins {
		n := strings.ToLower(strings.TrimRight(strings.TrimSpace(o), "/"))
		if !extensionOriginRE.MatchString(n) {
			e.add(prefix+"allow_extension_origins", "write an extension's origin as the browser sends it: chrome-extension://<its 32-letter id> (chrome://extensions shows the id), moz-extension://<UUID> or safari-web-extension://<UUID>",
				"%q is not an extension origin", o)
			continue
		}
		out = append(out, n)
	}
	if len(out) > 0 && rp.Public {
		e.add(prefix+"allow_extension_origins", "admit a user script through a keyed policy (it sends its client key); a public policy serves listed web pages only",
			"extension origins on a public policy")
	}
	return out
}
