package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode"
)

// chatRequest is the part of a /v3/chat body the emulator reads; other
// fields (custom_variables, extra_params, parameters, ...) are accepted and
// ignored.
type chatRequest struct {
	BotID              string            `json:"bot_id"`
	UserID             string            `json:"user_id"`
	Stream             bool              `json:"stream"`
	ConversationID     string            `json:"conversation_id"`
	AutoSaveHistory    *bool             `json:"auto_save_history"`
	MetaData           map[string]string `json:"meta_data"`
	AdditionalMessages []enterMessage    `json:"additional_messages"`
}

// enterMessage is Coze's EnterMessage: a message a client adds to a chat
// or a conversation.
type enterMessage struct {
	Role        string            `json:"role"`
	Type        string            `json:"type"`
	Content     json.RawMessage   `json:"content"`
	ContentType string            `json:"content_type"`
	MetaData    map[string]string `json:"meta_data"`
}

// inputMsg is a validated enterMessage.
type inputMsg struct {
	role, typ, content, contentType string
	meta                            map[string]string
}

// checkEnterMessages validates messages as Coze does, answering them or a
// message naming what is wrong (field names as in the request, under
// field).
func checkEnterMessages(field string, msgs []enterMessage) ([]inputMsg, string) {
	if len(msgs) > maxAdditionalMessages {
		return nil, field + " has more than 100 messages"
	}
	out := make([]inputMsg, 0, len(msgs))
	for i, m := range msgs {
		at := fmt.Sprintf("%s[%d].", field, i)
		if m.Role != "user" && m.Role != "assistant" {
			return nil, at + `role must be "user" or "assistant"`
		}
		content, err := contentString(m.Content)
		if err != nil {
			return nil, at + "content: " + err.Error()
		}
		ct := m.ContentType
		switch {
		case ct == "" && content == "":
			ct = "text"
		case ct != "text" && ct != "object_string":
			return nil, at + `content_type must be "text" or "object_string"`
		}
		typ := m.Type
		if typ == "" {
			typ = "question"
			if m.Role == "assistant" {
				typ = "answer"
			}
		}
		if msg := checkMeta(m.MetaData); msg != "" {
			return nil, at + msg
		}
		out = append(out, inputMsg{role: m.Role, typ: typ, content: content, contentType: ct, meta: nonNil(m.MetaData)})
	}
	return out, ""
}

// storeInput adds validated input messages to c, as part of chat chatID
// ("" for none).
func (st *convStore) storeInput(c *conversation, chatID string, in []inputMsg, now int64) []*message {
	out := make([]*message, 0, len(in))
	for _, m := range in {
		msg := &message{
			ID: newID(), ConversationID: c.id, ChatID: chatID, MetaData: m.meta, Role: m.role,
			Content: m.content, ContentType: m.contentType, CreatedAt: now, UpdatedAt: now,
			Type: m.typ, SectionID: c.section,
		}
		if m.role == "assistant" {
			msg.BotID = c.botID
		}
		st.addMessage(c, msg)
		out = append(out, msg)
	}
	return out
}

// serveChat answers POST /v3/chat: it starts a chat in the conversation
// named by the query's (else the body's) conversation_id, which must be
// the caller's, or in a new one. The bot "answers" by echoing the user's
// last message, "You said: <content>", or calls a tool (see ToolTrigger).
// Without "stream" the answer is the chat, "created", which then advances
// on the emulator's clock (see ChatStep); with it, Coze's events.
func (s *Server) serveChat(w http.ResponseWriter, r *http.Request) {
	owner, ok := s.enter(w, r, http.MethodPost)
	if !ok {
		return
	}
	var req chatRequest
	if !readAPIBody(w, r, &req) {
		return
	}
	if req.BotID == "" {
		badParam(w, "bot_id is required")
		return
	}
	in, problem := checkEnterMessages("additional_messages", req.AdditionalMessages)
	if problem == "" {
		problem = checkMeta(req.MetaData)
	}
	save := req.AutoSaveHistory == nil || *req.AutoSaveHistory
	if problem == "" && !save && !req.Stream {
		problem = "auto_save_history must be true when stream is false"
	}
	if problem != "" {
		badParam(w, problem)
		return
	}
	if !s.allowBot(w, r, req.BotID) {
		return
	}
	convID := queryOr(r, "conversation_id", req.ConversationID)
	now := s.now()
	st := &s.convs
	st.mu.Lock()
	var c *conversation
	if convID != "" {
		if c, ok = st.get(owner, convID); !ok {
			st.mu.Unlock()
			notFound(w, "conversation", convID)
			return
		}
	} else {
		c = st.create(owner, req.BotID, nil, now.Unix())
	}
	ch := st.newChat(c, req.BotID, lastUserContent(in), req.MetaData, save, !req.Stream, now)
	if save {
		st.storeInput(c, ch.ID, in, now.Unix())
	}
	if !req.Stream {
		obj := ch.chatObject
		st.mu.Unlock()
		writeAPIData(w, "data", obj, nil)
		return
	}
	created := ch.chatObject
	ch.Status = statusInProgress
	inProgress := ch.chatObject
	msg := *st.finish(ch, now)
	final := ch.chatObject
	st.mu.Unlock()

	e := s.startSSE(w, r)
	if e.send("conversation.chat.created", created) != nil || e.send("conversation.chat.in_progress", inProgress) != nil {
		return
	}
	s.streamTurn(e, msg, final)
}

// streamTurn sends the end of a streamed turn: the function_call message
// and conversation.chat.requires_action when the bot wants a tool, else the
// answer in deltas, conversation.message.completed and
// conversation.chat.completed; then done. It stops early if the client goes
// away.
func (s *Server) streamTurn(e *sseStream, msg message, final chatObject) {
	if final.Status == statusRequiresAction {
		if e.send("conversation.message.completed", msg) != nil || e.send("conversation.chat.requires_action", final) != nil {
			return
		}
		_ = e.send("done", "[DONE]")
		return
	}
	reply := msg.Content
	for _, piece := range splitReply(reply, s.streamEvents) {
		msg.Content = piece
		if e.send("conversation.message.delta", msg) != nil {
			return
		}
	}
	msg.Content = reply
	if e.send("conversation.message.completed", msg) != nil || e.send("conversation.chat.completed", final) != nil {
		return
	}
	_ = e.send("done", "[DONE]")
}

// lastUserContent is the content of the last user message, else of the last
// message, else "".
func lastUserContent(msgs []inputMsg) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].role == "user" {
			return msgs[i].content
		}
	}
	if len(msgs) > 0 {
		return msgs[len(msgs)-1].content
	}
	return ""
}

// splitReply cuts text into the contents of n delta events that concatenate
// back to text: by default (n <= 0) one per word, each word keeping the
// white space after it; for n up to the number of words, runs of words; for
// larger n, runs of runes (some empty when n exceeds the rune count).
func splitReply(text string, n int) []string {
	words := splitWords(text)
	if n <= 0 {
		return words
	}
	out := make([]string, n)
	if n <= len(words) {
		for i := range n {
			out[i] = strings.Join(words[i*len(words)/n:(i+1)*len(words)/n], "")
		}
		return out
	}
	rs := []rune(text)
	for i := range n {
		out[i] = string(rs[i*len(rs)/n : (i+1)*len(rs)/n])
	}
	return out
}

// splitWords cuts text after each run of white space that a word follows.
func splitWords(text string) []string {
	var words []string
	start, inSpace := 0, false
	for i, c := range text {
		sp := unicode.IsSpace(c)
		if inSpace && !sp {
			words = append(words, text[start:i])
			start = i
		}
		inSpace = sp
	}
	if start < len(text) {
		words = append(words, text[start:])
	}
	return words
}
