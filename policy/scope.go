package policy

import (
	"fmt"
	"slices"

	"github.com/cozeauth/cozeauth/coze"
)

// Subset explains why req asks for more than allowed, or returns "" when
// it does not. The grant parts (account, workspace and workflow
// permissions) may each be left out or narrowed, never added or widened.
// The bot_id_list constraint is a restriction: when allowed has one, req
// must carry one within it. A nil allowed permits anything; a nil req asks
// for the app's full permissions.
func Subset(req, allowed *coze.Scope) string {
	if allowed == nil {
		return ""
	}
	if req == nil {
		return "no scope asks for the app's full permissions"
	}
	if why := grant("account_permission.permission_list",
		req.AccountPermission != nil, allowed.AccountPermission != nil,
		func() string {
			return within("", req.AccountPermission.PermissionList, allowed.AccountPermission.PermissionList)
		}); why != "" {
		return why
	}
	if why := grant("workspace_permission", req.WorkspacePermission != nil, allowed.WorkspacePermission != nil, func() string {
		r, a := req.WorkspacePermission, allowed.WorkspacePermission
		return firstOf(within("workspace_id_list", r.WorkspaceIDList, a.WorkspaceIDList),
			within("permission_list", r.PermissionList, a.PermissionList))
	}); why != "" {
		return why
	}
	if why := grant("workflow_permission", req.WorkflowPermission != nil, allowed.WorkflowPermission != nil, func() string {
		r, a := req.WorkflowPermission, allowed.WorkflowPermission
		return firstOf(within("workflow_id_list", r.WorkflowIDList, a.WorkflowIDList),
			within("permission_list", r.PermissionList, a.PermissionList))
	}); why != "" {
		return why
	}
	if ab := bots(allowed); ab != nil {
		rb := bots(req)
		if len(rb) == 0 {
			return "the policy limits bot_id_list; the scope must name bot ids"
		}
		return within("bot_id_list", rb, ab)
	}
	return ""
}

func grant(name string, asked, allowed bool, check func() string) string {
	switch {
	case !asked:
		return ""
	case !allowed:
		return name + " is not allowed"
	}
	if why := check(); why != "" {
		return name + ": " + why
	}
	return ""
}

func within(name string, req, allowed []string) string {
	for _, r := range req {
		if !slices.Contains(allowed, r) {
			if name == "" {
				return fmt.Sprintf("%q is not allowed", r)
			}
			return fmt.Sprintf("%s: %q is not allowed", name, r)
		}
	}
	return ""
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func bots(s *coze.Scope) []string {
	if s.AttributeConstraint == nil || s.AttributeConstraint.ConnectorBotChatAttribute == nil {
		return nil
	}
	return s.AttributeConstraint.ConnectorBotChatAttribute.BotIDList
}
