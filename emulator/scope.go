package emulator

import (
	"context"
	"net/http"
	"slices"
)

// CodePermissionDenied is the code of Coze's answer to a valid token
// without the permission a call needs; CodeInvalidToken the one to a
// missing, malformed, unknown or expired token.
const (
	CodePermissionDenied = 4101
	CodeInvalidToken     = 4100
)

// reqState carries what authAPI learnt about a request to the resource
// checks its handler makes next.
type reqState struct {
	authed bool
	access *access
	cut    int // a fault's CutAfter for this request's stream; 0: none
}

type reqStateKey struct{}

// withState gives r a fresh reqState.
func withState(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), reqStateKey{}, &reqState{}))
}

// requestAccess is what the token of r may do: recorded by authAPI, else
// worked out from the credential again.
func (s *Server) requestAccess(r *http.Request) (*access, bool) {
	if st, _ := r.Context().Value(reqStateKey{}).(*reqState); st != nil && st.authed {
		return st.access, true
	}
	cred, present := credentialOf(r, true)
	if !present {
		return nil, false
	}
	_, a, ok := s.authenticate(cred)
	return a, ok
}

// allowBot reports whether the token of r may act on the bot botID. On
// refusal it has already answered with Coze's permission error (code 4101).
// Handlers that read, chat with or change a bot call it after authAPI.
func (s *Server) allowBot(w http.ResponseWriter, r *http.Request, botID string) bool {
	return s.allowResource(w, r, "bot", botID, "attribute_constraint.connector_bot_chat_attribute.bot_id_list",
		func(a *access) *[]string { return a.Bots })
}

// allowWorkspace is allowBot for a workspace (space) id.
func (s *Server) allowWorkspace(w http.ResponseWriter, r *http.Request, workspaceID string) bool {
	return s.allowResource(w, r, "workspace", workspaceID, "workspace_permission.workspace_id_list",
		func(a *access) *[]string { return a.Workspaces })
}

// allowWorkflow is allowBot for a workflow id.
func (s *Server) allowWorkflow(w http.ResponseWriter, r *http.Request, workflowID string) bool {
	return s.allowResource(w, r, "workflow", workflowID, "workflow_permission.workflow_id_list",
		func(a *access) *[]string { return a.Workflows })
}

// allowResource checks id against the list of a's dimension, answering
// 4100 for a request without a valid token and 4101 for an id the list
// leaves out.
func (s *Server) allowResource(w http.ResponseWriter, r *http.Request, kind, id, field string, list func(*access) *[]string) bool {
	a, ok := s.requestAccess(r)
	if !ok {
		writeAPIError(w, http.StatusUnauthorized, CodeInvalidToken, "authentication is invalid")
		return false
	}
	if a == nil {
		return true
	}
	if l := list(a); l != nil && !slices.Contains(*l, id) {
		writePermissionDenied(w, "permission denied: this token's scope does not include "+kind+" "+quoteID(id)+
			" ("+field+"); mint a token whose scope lists it")
		return false
	}
	return true
}

// writePermissionDenied answers Coze's permission error: code 4101 with the
// log id. The HTTP status is 403, so a client does not take it for an
// expired token (401) and mint again.
func writePermissionDenied(w http.ResponseWriter, msg string) {
	writeAPIError(w, http.StatusForbidden, CodePermissionDenied, msg)
}

// quoteID shows an id from a request in a message, clipped so a huge id
// cannot make a huge answer.
func quoteID(id string) string {
	const max = 64
	if len(id) > max {
		id = id[:max] + "..."
	}
	return `"` + id + `"`
}
