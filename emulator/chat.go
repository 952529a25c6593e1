package emulator

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"unicode"
)

// maxChatBody bounds a /v3/chat request body.
const maxChatBody = 1 << 20

// chatRequest is the part of a /v3/chat body the emulator reads; other
// fields (custom_variables, auto_save_history, meta_data, ...) are accepted
// and ignored.
type chatRequest struct {
	BotID              string         `json:"bot_id"`
	UserID             string         `json:"user_id"`
	Stream             bool           `json:"stream"`
	ConversationID     string         `json:"conversation_id"`
	AdditionalMessages []chatInputMsg `json:"additional_messages"`
}

type chatInputMsg struct {
	Role        string `json:"role"`
	Content     string `json:"content"`
	ContentType string `json:"content_type"`
}

// chatObject is Coze's chat: the non-stream answer's data and the data of
// the conversation.chat.* events.
type chatObject struct {
	ID             string    `json:"id"`
	ConversationID string    `json:"conversation_id"`
	BotID          string    `json:"bot_id"`
	CreatedAt      int64     `json:"created_at"`
	CompletedAt    int64     `json:"completed_at,omitempty"`
	LastError      chatError `json:"last_error"`
	Status         string    `json:"status"`
	Usage          chatUsage `json:"usage"`
	SectionID      string    `json:"section_id"`
}

type chatError struct {
	Code int    `json:"code"`
	Msg  string `json:"msg"`
}

type chatUsage struct {
	TokenCount  int `json:"token_count"`
	OutputCount int `json:"output_count"`
	InputCount  int `json:"input_count"`
}

// chatMessage is the data of the conversation.message.* events.
type chatMessage struct {
	ID             string `json:"id"`
	ConversationID string `json:"conversation_id"`
	BotID          string `json:"bot_id"`
	Role           string `json:"role"`
	Type           string `json:"type"`
	Content        string `json:"content"`
	ContentType    string `json:"content_type"`
	ChatID         string `json:"chat_id"`
	SectionID      string `json:"section_id"`
}

// serveChat answers POST /v3/chat. The bot "answers" by echoing the user's
// last message: "You said: <content>".
func (s *Server) serveChat(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodPost) {
		return
	}
	if _, ok := s.authAPI(w, r, false); !ok {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxChatBody+1))
	switch {
	case err != nil:
		writeAPIFailure(w, 4000, "cannot read request body")
		return
	case len(body) > maxChatBody:
		writeAPIFailure(w, 4000, "request body too large")
		return
	}
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeAPIFailure(w, 4000, "invalid request body: "+err.Error())
		return
	}
	if req.BotID == "" {
		writeAPIFailure(w, 4000, "invalid parameter: bot_id is required")
		return
	}
	if !s.allowBot(w, r, req.BotID) {
		return
	}
	conv := r.URL.Query().Get("conversation_id") // where Coze's SDKs put it
	if conv == "" {
		conv = req.ConversationID
	}
	if conv == "" {
		conv = newID()
	}
	chat := chatObject{
		ID:             newID(),
		ConversationID: conv,
		BotID:          req.BotID,
		CreatedAt:      s.now().Unix(),
		Status:         "in_progress",
		SectionID:      conv,
	}
	if !req.Stream {
		writeJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "", "data": chat})
		return
	}
	s.streamChat(w, r, chat, lastUserContent(req.AdditionalMessages))
}

// streamChat sends the events of a streamed chat, stopping early if the
// client goes away.
func (s *Server) streamChat(w http.ResponseWriter, r *http.Request, chat chatObject, input string) {
	reply := "You said: " + input
	e := s.startSSE(w, r)
	chat.Status = "created"
	if e.send("conversation.chat.created", chat) != nil {
		return
	}
	chat.Status = "in_progress"
	if e.send("conversation.chat.in_progress", chat) != nil {
		return
	}
	msg := chatMessage{
		ID:             newID(),
		ConversationID: chat.ConversationID,
		BotID:          chat.BotID,
		Role:           "assistant",
		Type:           "answer",
		ContentType:    "text",
		ChatID:         chat.ID,
		SectionID:      chat.SectionID,
	}
	for _, piece := range splitReply(reply, s.streamEvents) {
		msg.Content = piece
		if e.send("conversation.message.delta", msg) != nil {
			return
		}
	}
	msg.Content = reply
	if e.send("conversation.message.completed", msg) != nil {
		return
	}
	in, out := len(strings.Fields(input)), len(strings.Fields(reply))
	chat.Status = "completed"
	chat.CompletedAt = s.now().Unix()
	chat.Usage = chatUsage{TokenCount: in + out, OutputCount: out, InputCount: in}
	if e.send("conversation.chat.completed", chat) != nil {
		return
	}
	_ = e.send("done", "[DONE]")
}

// lastUserContent is the content of the last user message, else of the last
// message, else "".
func lastUserContent(msgs []chatInputMsg) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == "user" {
			return msgs[i].Content
		}
	}
	if len(msgs) > 0 {
		return msgs[len(msgs)-1].Content
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
