package coze

// Scope narrows what a token may do. Every part is optional; a nil *Scope
// asks for the app's full permissions. The yaml tags let a config file
// write a scope with the same names as the wire.
type Scope struct {
	AccountPermission   *AccountPermission   `json:"account_permission,omitempty" yaml:"account_permission,omitempty"`
	AttributeConstraint *AttributeConstraint `json:"attribute_constraint,omitempty" yaml:"attribute_constraint,omitempty"`
	WorkspacePermission *WorkspacePermission `json:"workspace_permission,omitempty" yaml:"workspace_permission,omitempty"`
	WorkflowPermission  *WorkflowPermission  `json:"workflow_permission,omitempty" yaml:"workflow_permission,omitempty"`
}

// AccountPermission lists account-level permissions, e.g. "Connector.botChat".
type AccountPermission struct {
	PermissionList []string `json:"permission_list" yaml:"permission_list"`
}

// AttributeConstraint restricts permissions to named resources.
type AttributeConstraint struct {
	ConnectorBotChatAttribute *BotChatAttribute `json:"connector_bot_chat_attribute,omitempty" yaml:"connector_bot_chat_attribute,omitempty"`
}

// BotChatAttribute restricts chat to listed bot ids.
type BotChatAttribute struct {
	BotIDList []string `json:"bot_id_list" yaml:"bot_id_list"`
}

// WorkspacePermission grants permissions in listed workspaces.
type WorkspacePermission struct {
	WorkspaceIDList []string `json:"workspace_id_list" yaml:"workspace_id_list"`
	PermissionList  []string `json:"permission_list" yaml:"permission_list"`
}

// WorkflowPermission grants permissions on listed workflows.
type WorkflowPermission struct {
	WorkflowIDList []string `json:"workflow_id_list" yaml:"workflow_id_list"`
	PermissionList []string `json:"permission_list" yaml:"permission_list"`
}

// SessionContext is the optional session_context claim of an assertion.
type SessionContext struct {
	DeviceInfo *DeviceInfo `json:"device_info,omitempty"`
}

// DeviceInfo describes the end user's device.
type DeviceInfo struct {
	DeviceID       string `json:"device_id,omitempty"`
	CustomConsumer string `json:"custom_consumer,omitempty"`
}
