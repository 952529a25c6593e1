package config

import "github.com/cozeauth/cozeauth/coze"

// workerDefaultAudience reports whether an app takes the Cloudflare
// Worker's default aud, api.coze.cn, although its endpoints are elsewhere:
// it comes from the environment, its API base comes from TOKEN_ENDPOINT
// alone (no COZE_API_BASE), TOKEN_ENDPOINT is not on a Coze host (an egress
// proxy, a relay), and neither AUDIENCE/COZE_AUD nor COZE_REGION says
// otherwise. The Worker signed aud = AUDIENCE || "api.coze.cn" whatever
// TOKEN_ENDPOINT was, and its environment moved over unchanged must mint
// the same assertions; a file config says region: cn for the same effect.
func workerDefaultAudience(r *rawApp, apiFromTokenURL bool, apiBase string) bool {
	return r.env && apiFromTokenURL && r.Region == "" && r.Audience == "" && coze.RegionOf(apiBase) == ""
}
