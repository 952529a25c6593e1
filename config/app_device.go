package config

import "strings"

// DeviceApp is what a device app (kind device, OAuth 设备授权) holds: no
// secret and no redirect; a person logs in on another device with a
// user code.
type DeviceApp struct {
	// WorkspaceID, when set, asks for device codes of that workspace
	// (Coze's workspace_id/{id}/device/code endpoint); "" for the
	// account-wide one.
	WorkspaceID string
}

// rawDevice is a device app's own fields as written.
type rawDevice struct {
	WorkspaceID string `yaml:"workspace_id"`
}

func (r *rawApp) resolveDevice(e *errs) *DeviceApp {
	return &DeviceApp{WorkspaceID: r.resolveWorkspace(e)}
}

// resolveWorkspace checks workspace_id, shared by the user-delegated kinds
// (web, pkce, device): "" or a numeric Coze workspace id.
func (r *rawApp) resolveWorkspace(e *errs) string {
	id := strings.TrimSpace(r.WorkspaceID)
	if id != "" && !numericRE.MatchString(id) {
		e.add(r.field("workspace_id"), "copy the workspace id (空间ID), the number after /space/ in the Coze address bar", "%q is not a numeric workspace id", id)
	}
	return id
}
