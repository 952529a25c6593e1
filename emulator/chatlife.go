package emulator

import (
	"net/http"
	"strconv"
)

// chatRef names a chat: conversation_id and chat_id, in the query (where
// the SDKs put them for retrieve, message/list and submit_tool_outputs) or
// in a JSON body (cancel).
type chatRef struct {
	ConversationID string `json:"conversation_id"`
	ChatID         string `json:"chat_id"`
}

// submitRequest is the body of /v3/chat/submit_tool_outputs.
type submitRequest struct {
	chatRef
	ToolOutputs []toolOutput `json:"tool_outputs"`
	Stream      bool         `json:"stream"`
}

// withChat authenticates r, reads ref's ids from the query (else from
// ref, filled from the body by the caller), checks the caller owns the
// conversation and may use the chat's bot, then runs act with the chat,
// advanced to now, under the store's lock. act answers; withChat answers
// only failures before it.
func (s *Server) withChat(w http.ResponseWriter, r *http.Request, owner string, ref chatRef, act func(ch *chatRec)) {
	convID := queryOr(r, "conversation_id", ref.ConversationID)
	chatID := queryOr(r, "chat_id", ref.ChatID)
	switch {
	case convID == "":
		badParam(w, "conversation_id is required (in the query string)")
		return
	case chatID == "":
		badParam(w, "chat_id is required (in the query string)")
		return
	}
	st := &s.convs
	lookup := func() (*chatRec, bool) {
		c, ok := st.get(owner, convID)
		if !ok {
			notFound(w, "conversation", convID)
			return nil, false
		}
		ch, ok := c.chats[chatID]
		if !ok {
			notFound(w, "chat", chatID)
			return nil, false
		}
		return ch, true
	}
	st.mu.Lock()
	ch, ok := lookup()
	bot := ""
	if ok {
		bot = ch.BotID
	}
	st.mu.Unlock()
	if !ok || !s.allowBot(w, r, bot) {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if ch, ok = lookup(); ok { // it may have been evicted meanwhile
		st.advance(ch, s.now())
		act(ch)
	}
}

// serveChatRetrieve answers /v3/chat/retrieve (GET as documented, POST as
// the Node SDK sends it): the chat, advanced on the emulator's clock.
func (s *Server) serveChatRetrieve(w http.ResponseWriter, r *http.Request) {
	if !allowMethods(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	owner, ok := s.authAPI(w, r, false)
	if !ok {
		return
	}
	var ref chatRef
	if r.Method == http.MethodPost && !readAPIBody(w, r, &ref) {
		return
	}
	var obj chatObject
	found := false
	s.withChat(w, r, owner, ref, func(ch *chatRec) { obj, found = ch.chatObject, true })
	if found {
		writeAPIData(w, "data", obj, nil)
	}
}

// serveChatMessages answers /v3/chat/message/list: the messages the chat
// produced so far (function_call, tool_response, answer), oldest first.
func (s *Server) serveChatMessages(w http.ResponseWriter, r *http.Request) {
	if !allowMethods(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	owner, ok := s.authAPI(w, r, false)
	if !ok {
		return
	}
	var ref chatRef
	if r.Method == http.MethodPost && !readAPIBody(w, r, &ref) {
		return
	}
	var msgs []message
	found := false
	s.withChat(w, r, owner, ref, func(ch *chatRec) { msgs, found = ch.messagesOut(), true })
	if found {
		writeAPIData(w, "data", msgs, nil)
	}
}

// serveChatCancel answers POST /v3/chat/cancel: a chat that is created,
// in_progress or requires_action becomes canceled; any other answers code
// 4000.
func (s *Server) serveChatCancel(w http.ResponseWriter, r *http.Request) {
	owner, ok := s.enter(w, r, http.MethodPost)
	if !ok {
		return
	}
	var ref chatRef
	if !readAPIBody(w, r, &ref) {
		return
	}
	var obj chatObject
	problem := ""
	s.withChat(w, r, owner, ref, func(ch *chatRec) {
		switch ch.Status {
		case statusCreated, statusInProgress, statusRequiresAction:
			ch.Status, ch.timed, ch.RequiredAction = statusCanceled, false, nil
			obj = ch.chatObject
		default:
			problem = "chat " + strconv.Quote(ch.ID) + " is " + ch.Status + "; only a chat that is created, in_progress or requires_action can be canceled"
		}
	})
	switch {
	case problem != "":
		writeAPIFailure(w, codeBadRequest, problem)
	case obj.ID != "":
		writeAPIData(w, "data", obj, nil)
	}
}

// serveSubmitToolOutputs answers POST /v3/chat/submit_tool_outputs for a
// chat in requires_action: every tool call must be answered exactly once.
// Without "stream" the answer is the chat, back in_progress, which then
// completes on the emulator's clock; with it, the events of the rest of
// the turn (in_progress, deltas, message and chat completed, done).
func (s *Server) serveSubmitToolOutputs(w http.ResponseWriter, r *http.Request) {
	owner, ok := s.enter(w, r, http.MethodPost)
	if !ok {
		return
	}
	var req submitRequest
	if !readAPIBody(w, r, &req) {
		return
	}
	if len(req.ToolOutputs) == 0 {
		badParam(w, "tool_outputs is required: one {tool_call_id, output} per tool call of required_action")
		return
	}
	var (
		inProgress, final chatObject
		msg               message
		problem           string
	)
	s.withChat(w, r, owner, req.chatRef, func(ch *chatRec) {
		if ch.Status != statusRequiresAction {
			problem = "chat " + strconv.Quote(ch.ID) + " is " + ch.Status + ", not requires_action: it is not waiting for tool outputs"
			return
		}
		if problem = matchToolOutputs(ch.calls, req.ToolOutputs); problem != "" {
			return
		}
		now := s.now()
		s.convs.answerTools(ch, req.ToolOutputs, now)
		inProgress = ch.chatObject
		if req.Stream {
			ch.timed = false
			msg = *s.convs.finish(ch, now)
			final = ch.chatObject
		} else {
			ch.timed = true
		}
	})
	switch {
	case problem != "":
		badParam(w, problem)
	case inProgress.ID == "":
		// withChat answered
	case !req.Stream:
		writeAPIData(w, "data", inProgress, nil)
	default:
		e := s.startSSE(w, r)
		if e.send("conversation.chat.in_progress", inProgress) != nil {
			return
		}
		s.streamTurn(e, msg, final)
	}
}

// matchToolOutputs checks outputs answer each of calls exactly once.
func matchToolOutputs(calls []toolCall, outputs []toolOutput) string {
	want := make(map[string]bool, len(calls))
	for _, c := range calls {
		want[c.ID] = true
	}
	seen := make(map[string]bool, len(outputs))
	for i, o := range outputs {
		switch {
		case !want[o.ToolCallID]:
			return "tool_outputs[" + strconv.Itoa(i) + "].tool_call_id " + strconv.Quote(o.ToolCallID) + " is not a tool call of this chat"
		case seen[o.ToolCallID]:
			return "tool_outputs[" + strconv.Itoa(i) + "].tool_call_id " + strconv.Quote(o.ToolCallID) + " is answered twice"
		}
		seen[o.ToolCallID] = true
	}
	if len(seen) != len(want) {
		return "tool_outputs must answer every tool call of required_action"
	}
	return ""
}
