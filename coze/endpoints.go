package coze

import (
	"net/url"
	"strings"
)

// TokenURL is the token endpoint under apiBase: the plain one, or the
// account or enterprise variant when accountID or enterpriseID is set.
func TokenURL(apiBase, accountID, enterpriseID string) string {
	apiBase = strings.TrimRight(apiBase, "/")
	switch {
	case accountID != "":
		return apiBase + "/api/permission/oauth2/account/" + url.PathEscape(accountID) + "/token"
	case enterpriseID != "":
		return apiBase + "/api/permission/oauth2/enterprise_id/" + url.PathEscape(enterpriseID) + "/token"
	}
	return apiBase + "/api/permission/oauth2/token"
}

// DeviceCodeURL is the device authorization endpoint under apiBase: the
// plain one, or the workspace variant when workspaceID is set.
func DeviceCodeURL(apiBase, workspaceID string) string {
	apiBase = strings.TrimRight(apiBase, "/")
	if workspaceID != "" {
		return apiBase + "/api/permission/oauth2/workspace_id/" + url.PathEscape(workspaceID) + "/device/code"
	}
	return apiBase + "/api/permission/oauth2/device/code"
}

// authorizePath is the consent page under the web (www) base: the plain
// one, or the workspace variant when workspaceID is set.
func authorizePath(workspaceID string) string {
	if workspaceID != "" {
		return "/api/permission/oauth2/workspace_id/" + url.PathEscape(workspaceID) + "/authorize"
	}
	return "/api/permission/oauth2/authorize"
}
