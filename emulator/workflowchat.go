package emulator

import (
	"cmp"
	"net/http"
	"strings"
)

// serveWorkflowChat answers POST /v1/workflows/chat, a chat flow streamed
// like /v3/chat: the events of a chat whose answer echoes the last user
// message, or, for the failing workflow, conversation.chat.failed.
func (s *Server) serveWorkflowChat(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.enter(w, r, http.MethodPost); !ok {
		return
	}
	var b struct {
		WorkflowID         string         `json:"workflow_id"`
		AdditionalMessages []enterMessage `json:"additional_messages"`
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
	for i := range b.AdditionalMessages {
		b.AdditionalMessages[i].ContentType = cmp.Or(b.AdditionalMessages[i].ContentType, "text")
	}
	in, problem := checkEnterMessages("additional_messages", b.AdditionalMessages)
	if problem != "" {
		invalid(w, "invalid parameter: "+problem)
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
	e := s.startSSE(w, r)
	chat.Status = statusCreated
	if e.send("conversation.chat.created", chat) != nil {
		return
	}
	if wf.Kind != wfFail {
		chat.Status = statusInProgress
		if e.send("conversation.chat.in_progress", chat) != nil {
			return
		}
		now := s.now().Unix()
		reply := "You said: " + lastUserContent(in)
		msg := message{ID: newID(), ConversationID: conv, BotID: chat.BotID, ChatID: chat.ID, MetaData: map[string]string{},
			Role: "assistant", Content: reply, ContentType: "text", CreatedAt: now, UpdatedAt: now, Type: "answer", SectionID: conv}
		chat.Status, chat.CompletedAt = statusCompleted, now
		out := len(strings.Fields(reply))
		chat.Usage = chatUsage{TokenCount: len(strings.Fields(msg.Content)) + out, OutputCount: out, InputCount: len(strings.Fields(lastUserContent(in)))}
		s.streamTurn(e, msg, chat)
		return
	}
	chat.Status = "failed"
	chat.LastError = chatError{Code: codeWorkflowFailed, Msg: msgWorkflowFailed}
	if e.send("conversation.chat.failed", chat) != nil {
		return
	}
	_ = e.send("done", "[DONE]")
}
