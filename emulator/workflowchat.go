package emulator

import (
	"cmp"
	"net/http"
)

// serveWorkflowChat answers POST /v1/workflows/chat, a chat flow streamed
// like /v3/chat: the events of a chat whose answer echoes the last user
// message, or, for the failing workflow, conversation.chat.failed.
func (s *Server) serveWorkflowChat(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodPost) {
		return
	}
	if _, ok := s.authAPI(w, r, false); !ok {
		return
	}
	var b struct {
		WorkflowID         string         `json:"workflow_id"`
		AdditionalMessages []chatInputMsg `json:"additional_messages"`
		Parameters         map[string]any `json:"parameters"`
		AppID              string         `json:"app_id"`
		BotID              string         `json:"bot_id"`
		ConversationID     string         `json:"conversation_id"`
	}
	if !readJSON(w, r, &b) {
		return
	}
	if len(b.AdditionalMessages) == 0 {
		invalid(w, "invalid parameter: additional_messages is required (at least the user's message)")
		return
	}
	wf, ok := s.checkWorkflow(w, r, b.WorkflowID, b.BotID)
	if !ok {
		return
	}
	conv := cmp.Or(r.URL.Query().Get("conversation_id"), b.ConversationID, newID())
	chat := chatObject{
		ID:             newID(),
		ConversationID: conv,
		BotID:          cmp.Or(b.BotID, b.AppID),
		CreatedAt:      s.now().Unix(),
		SectionID:      conv,
	}
	if wf.Kind != wfFail {
		s.streamChat(w, r, chat, lastUserContent(b.AdditionalMessages))
		return
	}
	e := s.startSSE(w, r)
	chat.Status = "created"
	if e.send("conversation.chat.created", chat) != nil {
		return
	}
	chat.Status = "failed"
	chat.LastError = chatError{Code: codeWorkflowFailed, Msg: msgWorkflowFailed}
	if e.send("conversation.chat.failed", chat) != nil {
		return
	}
	_ = e.send("done", "[DONE]")
}
