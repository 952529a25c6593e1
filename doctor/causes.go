package doctor

import (
	"fmt"
	"strings"

	"github.com/cozeauth/cozeauth/coze"
)

// kidUnknown reports Coze's answer for a key id it does not know, in its
// own spelling ("kid not been registred") or a corrected one.
func kidUnknown(ce *coze.Error) bool {
	m := strings.ToLower(ce.Message)
	return strings.Contains(m, "kid") && (strings.Contains(m, "registred") || strings.Contains(m, "registered"))
}

// explainRefusal maps Coze's error_code and message to a likely cause and a
// fix, for every refusal but an unknown kid.
func (r *runner) explainRefusal(ce *coze.Error) (cause, fix string) {
	a := r.app
	m := strings.ToLower(ce.Message)
	clockFix := "turn on network time sync (`sudo timedatectl set-ntp true` on Linux; automatic date and time on macOS and Windows)"
	switch {
	case strings.Contains(m, "signature"):
		return fmt.Sprintf("the private key is not the pair of the public key registered under key id %q (公钥指纹)", a.JWT.KeyID),
			"use the private key made together with the uploaded public key, or add this key's public half in the console (添加公钥; `openssl pkey -in private_key.pem -pubout` prints it) and use the key id it gets; `cozeauth doctor --pub public_key.pem` compares a pair"
	case strings.Contains(m, "iss"):
		return fmt.Sprintf("app id %s (应用ID) is not the app that owns key id %q", a.ClientID, a.JWT.KeyID),
			"copy the app id from the same OAuth app whose public key id you use"
	case strings.Contains(m, "aud"):
		return fmt.Sprintf("aud %q is not what this Coze expects (api.coze.cn on coze.cn, api.coze.com on coze.com)", a.Audience),
			"set audience (AUDIENCE, COZE_AUD) to the region's, or remove an override that names the other region; without one, cozeauth takes the API base's host"
	case strings.Contains(m, "expired"), strings.Contains(m, "iat"), strings.Contains(m, "future"), strings.Contains(m, "nbf"):
		if r.skew != nil {
			return "the clock: your clock is " + describeSkew(*r.skew) + ", and Coze checks iat and exp against its own", clockFix
		}
		return "Coze refused the assertion's times: the local clock is probably off", clockFix
	case strings.Contains(m, "jti"):
		return "an assertion was used twice; each must carry a fresh jti", "sign a new assertion per request (cozeauth does; something replaying requests does not)"
	case ce.Code == "unsupported_grant_type", strings.Contains(m, "grant"):
		return "the app is not a JWT app: only service apps (服务类应用) take the jwt-bearer grant",
			"create an OAuth app of type 服务类应用 (service app, JWT) in the console and use its app id (应用ID) and key"
	case strings.Contains(m, "duration"):
		return "duration_seconds is out of Coze's range", "use 1..86399 seconds (duration_seconds, TOKEN_DURATION)"
	case strings.Contains(m, "scope"):
		return "Coze refused the scope", "check the app's scope against its permissions in the console, or drop it to get the app's full permissions"
	case ce.Code == coze.CodeAccessDenied || ce.Status == 403:
		return "Coze knows the app but refuses it: not authorized for this account or workspace, or asking for more than it was granted",
			"in the console check the app's permissions (权限) and authorization; try without a scope"
	case ce.Status == 429:
		return "Coze is rate limiting these requests", "wait a little and try again; cozeauth serve caches tokens so this should be rare"
	case ce.Status >= 500:
		return "Coze had trouble of its own", "try again later; if it persists, give Coze support the log id"
	}
	return "Coze refused for a reason cozeauth does not recognise", "look the error_code up in Coze's docs; Coze support will ask for the log id"
}
