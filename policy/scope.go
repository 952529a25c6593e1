package policy

import (
	"fmt"
	"slices"

	"github.com/cozeauth/cozeauth/coze"
)

// Narrow returns the scope to send upstream for a request asking req when
// at most max may be granted, or explains why req cannot be granted.
//
// The guarantee: the scope returned carries at least every restriction of
// max. For each dimension max restricts (account permission_list,
// workspace ids and permissions, workflow ids and permissions,
// bot_id_list), the returned list is non-empty and within max's: the
// request's own list when it names one (it must be a non-empty subset),
// else max's list, filled in. An empty list is refused, never read as
// "narrower": Coze reads a missing or empty restriction as none at all.
// Asking for a grant dimension (account, workspace or workflow
// permissions) that max does not grant is refused; adding a bot_id_list
// max lacks narrows the token and is allowed when non-empty.
//
// A nil max restricts nothing: req is returned as asked (nil asks for the
// app's full permissions). A nil req asks for max, copied. A max holding
// an empty list grants nothing in that dimension (it is refused). Neither
// argument is modified, and the result shares no slice with them.
func Narrow(req, max *coze.Scope) (*coze.Scope, string) {
	if max == nil {
		if why := noEmptyLists(req); why != "" {
			return nil, why
		}
		return cloneScope(req), ""
	}
	if req == nil {
		req = &coze.Scope{} // every restriction filled in from max
	}
	out := &coze.Scope{}
	switch r, m := req.AccountPermission, max.AccountPermission; {
	case r == nil && m == nil:
	case m == nil:
		return nil, "account_permission is not granted by the policy"
	default:
		var rl []string
		if r != nil {
			rl = r.PermissionList
		}
		l, why := narrowList("account_permission.permission_list", rl, m.PermissionList)
		if why != "" {
			return nil, why
		}
		out.AccountPermission = &coze.AccountPermission{PermissionList: l}
	}
	if req.WorkspacePermission != nil || max.WorkspacePermission != nil {
		var r, m coze.WorkspacePermission
		if req.WorkspacePermission != nil {
			r = *req.WorkspacePermission
		}
		if max.WorkspacePermission == nil {
			return nil, "workspace_permission is not granted by the policy"
		}
		m = *max.WorkspacePermission
		ids, perms, why := narrowGrant("workspace_permission", "workspace_id_list", r.WorkspaceIDList, r.PermissionList, m.WorkspaceIDList, m.PermissionList)
		if why != "" {
			return nil, why
		}
		out.WorkspacePermission = &coze.WorkspacePermission{WorkspaceIDList: ids, PermissionList: perms}
	}
	if req.WorkflowPermission != nil || max.WorkflowPermission != nil {
		var r, m coze.WorkflowPermission
		if req.WorkflowPermission != nil {
			r = *req.WorkflowPermission
		}
		if max.WorkflowPermission == nil {
			return nil, "workflow_permission is not granted by the policy"
		}
		m = *max.WorkflowPermission
		ids, perms, why := narrowGrant("workflow_permission", "workflow_id_list", r.WorkflowIDList, r.PermissionList, m.WorkflowIDList, m.PermissionList)
		if why != "" {
			return nil, why
		}
		out.WorkflowPermission = &coze.WorkflowPermission{WorkflowIDList: ids, PermissionList: perms}
	}
	rb, mb := bots(req), bots(max)
	switch {
	case rb == nil && mb == nil:
	case mb == nil:
		if len(rb) == 0 {
			return nil, "bot_id_list is empty: name the bots the token may chat with, or leave the constraint out"
		}
		out.AttributeConstraint = botConstraint(slices.Clone(rb))
	default:
		l, why := narrowList("bot_id_list", rb, mb)
		if why != "" {
			return nil, why
		}
		out.AttributeConstraint = botConstraint(l)
	}
	return out, ""
}

// narrowGrant narrows a grant part of ids and permissions, both lists
// restricted.
func narrowGrant(part, idField string, reqIDs, reqPerms, maxIDs, maxPerms []string) (ids, perms []string, why string) {
	if ids, why = narrowList(part+"."+idField, reqIDs, maxIDs); why != "" {
		return nil, nil, why
	}
	if perms, why = narrowList(part+".permission_list", reqPerms, maxPerms); why != "" {
		return nil, nil, why
	}
	return ids, perms, ""
}

// narrowList is one restricted list: req's when it names one (non-empty,
// within max), else max's. Both are copied.
func narrowList(name string, req, max []string) ([]string, string) {
	switch {
	case len(max) == 0:
		return nil, name + " is empty in the policy's scope, so it would restrict nothing: fix the configuration"
	case req == nil:
		return slices.Clone(max), ""
	case len(req) == 0:
		return nil, name + " is empty: an empty list restricts nothing at Coze; leave it out to get the policy's list, or name values within it"
	}
	for _, r := range req {
		if !slices.Contains(max, r) {
			return nil, fmt.Sprintf("%s: %q is not allowed", name, r)
		}
	}
	return slices.Clone(req), ""
}

// noEmptyLists refuses a scope holding an empty list: with nothing to
// narrow against, an empty list would read as no restriction.
func noEmptyLists(s *coze.Scope) string {
	if s == nil {
		return ""
	}
	check := func(name string, present bool, l []string) string {
		if present && l != nil && len(l) == 0 {
			return name + " is empty: leave it out or name values"
		}
		return ""
	}
	var ap, wsi, wsp, wfi, wfp []string
	if s.AccountPermission != nil {
		ap = s.AccountPermission.PermissionList
	}
	if w := s.WorkspacePermission; w != nil {
		wsi, wsp = w.WorkspaceIDList, w.PermissionList
	}
	if w := s.WorkflowPermission; w != nil {
		wfi, wfp = w.WorkflowIDList, w.PermissionList
	}
	return firstOf(
		check("account_permission.permission_list", s.AccountPermission != nil, ap),
		check("workspace_permission.workspace_id_list", true, wsi),
		check("workspace_permission.permission_list", true, wsp),
		check("workflow_permission.workflow_id_list", true, wfi),
		check("workflow_permission.permission_list", true, wfp),
		check("bot_id_list", true, bots(s)))
}

// Restricted lists the restrictions s carries, by dimension name: the
// lists Narrow guarantees to keep. A nil s restricts nothing.
func Restricted(s *coze.Scope) map[string][]string {
	m := map[string][]string{}
	if s == nil {
		return m
	}
	if a := s.AccountPermission; a != nil {
		m["account_permission.permission_list"] = a.PermissionList
	}
	if w := s.WorkspacePermission; w != nil {
		m["workspace_permission.workspace_id_list"] = w.WorkspaceIDList
		m["workspace_permission.permission_list"] = w.PermissionList
	}
	if w := s.WorkflowPermission; w != nil {
		m["workflow_permission.workflow_id_list"] = w.WorkflowIDList
		m["workflow_permission.permission_list"] = w.PermissionList
	}
	if b := bots(s); b != nil {
		m["bot_id_list"] = b
	}
	return m
}

func botConstraint(l []string) *coze.AttributeConstraint {
	return &coze.AttributeConstraint{ConnectorBotChatAttribute: &coze.BotChatAttribute{BotIDList: l}}
}

func cloneScope(s *coze.Scope) *coze.Scope {
	if s == nil {
		return nil
	}
	out := &coze.Scope{}
	if a := s.AccountPermission; a != nil {
		out.AccountPermission = &coze.AccountPermission{PermissionList: slices.Clone(a.PermissionList)}
	}
	if w := s.WorkspacePermission; w != nil {
		out.WorkspacePermission = &coze.WorkspacePermission{WorkspaceIDList: slices.Clone(w.WorkspaceIDList), PermissionList: slices.Clone(w.PermissionList)}
	}
	if w := s.WorkflowPermission; w != nil {
		out.WorkflowPermission = &coze.WorkflowPermission{WorkflowIDList: slices.Clone(w.WorkflowIDList), PermissionList: slices.Clone(w.PermissionList)}
	}
	if a := s.AttributeConstraint; a != nil {
		out.AttributeConstraint = &coze.AttributeConstraint{}
		if b := a.ConnectorBotChatAttribute; b != nil {
			out.AttributeConstraint.ConnectorBotChatAttribute = &coze.BotChatAttribute{BotIDList: slices.Clone(b.BotIDList)}
		}
	}
	return out
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
	if s == nil || s.AttributeConstraint == nil || s.AttributeConstraint.ConnectorBotChatAttribute == nil {
		return nil
	}
	return s.AttributeConstraint.ConnectorBotChatAttribute.BotIDList
}
