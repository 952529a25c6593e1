package emulator

import (
	"encoding/json"
	"fmt"
	"slices"
)

// Bounds on a token request's scope: each list holds at most maxScopeList
// entries of at most maxScopeItem bytes, so a token carrying them stays a
// sendable header.
const (
	maxScopeList  = 100
	maxScopeItem  = 128
	maxScopeBytes = 16 << 10 // all lists together, as a token carries them
)

// access is what a token may do. A nil list puts no limit on its
// dimension: Perms nil is every permission, Bots nil every bot, and so on.
type access struct {
	Perms      *[]string `json:"p,omitempty"`
	Bots       *[]string `json:"b,omitempty"`
	Workspaces *[]string `json:"w,omitempty"`
	Workflows  *[]string `json:"f,omitempty"`
}

// allows reports whether a grants perm ("" is a path no rule covers: only
// a token with every permission may call it).
func (a *access) allows(perm string) bool {
	if a == nil || a.Perms == nil {
		return true
	}
	return perm != "" && slices.Contains(*a.Perms, perm)
}

// wireScope is Coze's scope object as a channel app sends it.
type wireScope struct {
	AccountPermission *struct {
		PermissionList *[]string `json:"permission_list"`
	} `json:"account_permission"`
	AttributeConstraint *struct {
		ConnectorBotChatAttribute *struct {
			BotIDList *[]string `json:"bot_id_list"`
		} `json:"connector_bot_chat_attribute"`
	} `json:"attribute_constraint"`
	WorkspacePermission *struct {
		WorkspaceIDList *[]string `json:"workspace_id_list"`
		PermissionList  *[]string `json:"permission_list"`
	} `json:"workspace_permission"`
	WorkflowPermission *struct {
		WorkflowIDList *[]string `json:"workflow_id_list"`
		PermissionList *[]string `json:"permission_list"`
	} `json:"workflow_permission"`
}

// tokenAccess is what a token of the app clientID may do when its request
// carried scope (nil for none). A developer app ignores the scope and gets
// its authorized permissions; a channel app gets what the scope asks,
// which must be within those permissions.
func (s *Server) tokenAccess(clientID string, scope json.RawMessage) (*access, *oauthErr) {
	o := s.appOptions(clientID)
	app := &access{}
	if o.Permissions != nil {
		p := slices.Clone(o.Permissions)
		app.Perms = &p
	}
	if !o.Channel || scope == nil {
		return app, nil
	}
	a, err := parseScope(scope)
	if err != nil {
		return nil, invalidRequest("invalid request: " + err.Error())
	}
	if a.Perms == nil {
		a.Perms = app.Perms
	} else if app.Perms != nil {
		for _, p := range *a.Perms {
			if !slices.Contains(*app.Perms, p) {
				return nil, invalidRequest(fmt.Sprintf("invalid request: scope asks for permission %q, "+
					"which the app was not authorized for (its permissions: %v)", p, *app.Perms))
			}
		}
	}
	return a, nil
}

// parseScope reads a channel app's scope object. Every list present must
// be a non-empty array of non-empty strings within the bounds; a part left
// out limits nothing. The permissions of workspace_permission and
// workflow_permission join account_permission's; their id lists limit
// which workspaces and workflows the token may touch.
func parseScope(raw []byte) (*access, error) {
	var w wireScope
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, fmt.Errorf("scope does not match Coze's scope object: %v", err)
	}
	a := &access{}
	var perms []string
	named := false
	addPerms := func(field string, l *[]string) error {
		if l == nil {
			return nil
		}
		if err := checkList(field, *l); err != nil {
			return err
		}
		named = true
		for _, p := range *l {
			if !slices.Contains(perms, p) {
				perms = append(perms, p)
			}
		}
		return nil
	}
	ids := func(field string, l *[]string) (*[]string, error) {
		if l == nil {
			return nil, nil
		}
		if err := checkList(field, *l); err != nil {
			return nil, err
		}
		c := slices.Clone(*l)
		return &c, nil
	}
	var err error
	if ap := w.AccountPermission; ap != nil {
		if ap.PermissionList == nil {
			return nil, fmt.Errorf("scope.account_permission.permission_list is required")
		}
		if err = addPerms("account_permission.permission_list", ap.PermissionList); err != nil {
			return nil, err
		}
	}
	if ac := w.AttributeConstraint; ac != nil && ac.ConnectorBotChatAttribute != nil {
		if a.Bots, err = ids("attribute_constraint.connector_bot_chat_attribute.bot_id_list", ac.ConnectorBotChatAttribute.BotIDList); err != nil {
			return nil, err
		}
	}
	if wp := w.WorkspacePermission; wp != nil {
		if a.Workspaces, err = ids("workspace_permission.workspace_id_list", wp.WorkspaceIDList); err != nil {
			return nil, err
		}
		if err = addPerms("workspace_permission.permission_list", wp.PermissionList); err != nil {
			return nil, err
		}
	}
	if wf := w.WorkflowPermission; wf != nil {
		if a.Workflows, err = ids("workflow_permission.workflow_id_list", wf.WorkflowIDList); err != nil {
			return nil, err
		}
		if err = addPerms("workflow_permission.permission_list", wf.PermissionList); err != nil {
			return nil, err
		}
	}
	if named {
		a.Perms = &perms
	}
	if b, _ := json.Marshal(a); len(b) > maxScopeBytes {
		return nil, fmt.Errorf("scope lists %d bytes of ids and permissions, more than %d", len(b), maxScopeBytes)
	}
	return a, nil
}

// checkList enforces the bounds of one scope list.
func checkList(field string, l []string) error {
	switch {
	case len(l) == 0:
		return fmt.Errorf("scope.%s is empty: name at least one, or leave the part out", field)
	case len(l) > maxScopeList:
		return fmt.Errorf("scope.%s has %d entries, more than %d", field, len(l), maxScopeList)
	}
	for _, v := range l {
		if v == "" || len(v) > maxScopeItem {
			return fmt.Errorf("scope.%s holds an empty entry or one longer than %d bytes", field, maxScopeItem)
		}
	}
	return nil
}
