package coze

import (
	"fmt"
	"net/url"
	"strings"
)

// Region is the Coze deployment an app lives in. An OAuth app exists in
// exactly one region; calling the other one fails with "kid not been
// registred".
type Region string

// The two public Coze regions.
const (
	RegionCN  Region = "cn"  // 扣子, coze.cn
	RegionCOM Region = "com" // Coze, coze.com
)

// ParseRegion accepts "cn" or "com" (case-insensitive; "coze.cn" and
// "coze.com" too).
func ParseRegion(s string) (Region, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "cn", "coze.cn", "api.coze.cn":
		return RegionCN, nil
	case "com", "coze.com", "api.coze.com":
		return RegionCOM, nil
	}
	return "", fmt.Errorf("unknown region %q: use cn (coze.cn, 扣子) or com (coze.com)", s)
}

// APIBase is the region's OpenAPI base URL, e.g. https://api.coze.cn.
func (r Region) APIBase() string { return "https://api.coze." + string(r) }

// WWWBase is the region's web base URL, used for consent pages.
func (r Region) WWWBase() string { return "https://www.coze." + string(r) }

// Audience is the JWT aud Coze expects in this region.
func (r Region) Audience() string { return "api.coze." + string(r) }

// WSBase is the region's realtime (WebSocket) base URL.
func (r Region) WSBase() string { return "wss://ws.coze." + string(r) }

// WSBaseFor derives the WebSocket base from an API base: the region's
// realtime host, or for any other host (an emulator, a private
// deployment) the same host with a ws/wss scheme.
func WSBaseFor(apiBase string) string {
	if r := RegionOf(apiBase); r != "" {
		return r.WSBase()
	}
	if rest, ok := strings.CutPrefix(apiBase, "https://"); ok {
		return "wss://" + rest
	}
	if rest, ok := strings.CutPrefix(apiBase, "http://"); ok {
		return "ws://" + rest
	}
	return apiBase
}

// Other returns the other public region.
func (r Region) Other() Region {
	if r == RegionCOM {
		return RegionCN
	}
	return RegionCOM
}

// AudienceFor derives the JWT aud from an API base URL the way the official
// SDKs do: the host name.
func AudienceFor(apiBase string) (string, error) {
	u, err := url.Parse(apiBase)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("API base %q is not an http(s) URL like https://api.coze.cn", apiBase)
	}
	return u.Hostname(), nil
}

// RegionOf guesses the region of an API base URL: "" when it is neither
// public region (an emulator or a private deployment).
func RegionOf(apiBase string) Region {
	host, err := AudienceFor(apiBase)
	if err != nil {
		return ""
	}
	switch {
	case host == "coze.cn" || strings.HasSuffix(host, ".coze.cn"):
		return RegionCN
	case host == "coze.com" || strings.HasSuffix(host, ".coze.com"):
		return RegionCOM
	}
	return ""
}
