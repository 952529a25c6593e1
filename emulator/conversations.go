package emulator

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// conversationRoutes are the chat lifecycle, conversation and message
// endpoints other than /v3/chat itself (and /v1/conversations/{id}/clear,
// matched by clearPathID).
var conversationRoutes = map[string]func(*Server, http.ResponseWriter, *http.Request){
	"/v3/chat/retrieve":                 (*Server).serveChatRetrieve,
	"/v3/chat/message/list":             (*Server).serveChatMessages,
	"/v3/chat/cancel":                   (*Server).serveChatCancel,
	"/v3/chat/submit_tool_outputs":      (*Server).serveSubmitToolOutputs,
	"/v1/conversation/create":           (*Server).serveConversationCreate,
	"/v1/conversation/retrieve":         (*Server).serveConversationRetrieve,
	"/v1/conversations":                 (*Server).serveConversationList,
	"/v1/conversation/message/create":   (*Server).serveMessageCreate,
	"/v1/conversation/message/list":     (*Server).serveMessageList,
	"/v1/conversation/message/retrieve": (*Server).serveMessageRetrieve,
	"/v1/conversation/message/modify":   (*Server).serveMessageModify,
	"/v1/conversation/message/delete":   (*Server).serveMessageDelete,
}

// isConversationPath reports whether serveConversationAPI serves path.
func isConversationPath(path string) bool {
	_, ok := conversationRoutes[path]
	return ok || clearPathID(path) != ""
}

// serveConversationAPI routes a request for which isConversationPath holds.
func (s *Server) serveConversationAPI(w http.ResponseWriter, r *http.Request) {
	if h, ok := conversationRoutes[r.URL.Path]; ok {
		h(s, w, r)
		return
	}
	s.serveConversationClear(w, r, clearPathID(r.URL.Path))
}

// clearPathID is the id of /v1/conversations/{id}/clear, else "".
func clearPathID(path string) string {
	rest, ok := strings.CutPrefix(path, "/v1/conversations/")
	if !ok {
		return ""
	}
	id, ok := strings.CutSuffix(rest, "/clear")
	if !ok || id == "" || strings.Contains(id, "/") {
		return ""
	}
	return id
}

// conversationObject is Coze's Conversation.
type conversationObject struct {
	ID            string            `json:"id"`
	CreatedAt     int64             `json:"created_at"`
	MetaData      map[string]string `json:"meta_data"`
	LastSectionID string            `json:"last_section_id"`
}

func (c *conversation) object() conversationObject {
	return conversationObject{ID: c.id, CreatedAt: c.createdAt, MetaData: c.meta, LastSectionID: c.section}
}

// withConversation looks up the caller's conversation id, checks it may
// use the conversation's bot, then runs act under the store's lock and,
// once the lock is released, the answer act returns. It answers failures
// itself.
func (s *Server) withConversation(w http.ResponseWriter, r *http.Request, owner, id string, act func(c *conversation) (answer func())) {
	if id == "" {
		badParam(w, "conversation_id is required (in the query string)")
		return
	}
	st := &s.convs
	st.mu.Lock()
	c, ok := st.get(owner, id)
	bot := ""
	if ok {
		bot = c.botID
	}
	st.mu.Unlock()
	if !ok {
		notFound(w, "conversation", id)
		return
	}
	if bot != "" && !s.allowBot(w, r, bot) {
		return
	}
	var answer func()
	st.mu.Lock()
	if c, ok = st.get(owner, id); ok { // else evicted meanwhile
		now := s.now()
		for _, ch := range slices.Clone(c.chatOrder) { // chats finished by now add their messages
			if c.chats[ch.ID] == ch { // not dropped by an earlier one's
				st.advance(ch, now)
			}
		}
		answer = act(c)
	}
	st.mu.Unlock()
	if !ok {
		notFound(w, "conversation", id)
		return
	}
	answer()
}

// serveConversationCreate answers POST /v1/conversation/create with
// optional bot_id, meta_data and initial messages.
func (s *Server) serveConversationCreate(w http.ResponseWriter, r *http.Request) {
	owner, ok := s.enter(w, r, http.MethodPost)
	if !ok {
		return
	}
	var req struct {
		BotID    string            `json:"bot_id"`
		MetaData map[string]string `json:"meta_data"`
		Messages []enterMessage    `json:"messages"`
	}
	if !readAPIBody(w, r, &req) {
		return
	}
	in, problem := checkEnterMessages("messages", req.Messages)
	if problem == "" {
		problem = checkMeta(req.MetaData)
	}
	if problem != "" {
		badParam(w, problem)
		return
	}
	if req.BotID != "" && !s.allowBot(w, r, req.BotID) {
		return
	}
	now := s.now().Unix()
	st := &s.convs
	st.mu.Lock()
	c := st.create(owner, req.BotID, req.MetaData, now)
	st.storeInput(c, "", in, now)
	obj := c.object()
	st.mu.Unlock()
	writeAPIData(w, "data", obj, nil)
}

// serveConversationRetrieve answers GET /v1/conversation/retrieve.
func (s *Server) serveConversationRetrieve(w http.ResponseWriter, r *http.Request) {
	owner, ok := s.enter(w, r, http.MethodGet)
	if !ok {
		return
	}
	s.withConversation(w, r, owner, r.URL.Query().Get("conversation_id"), func(c *conversation) func() {
		obj := c.object()
		return func() { writeAPIData(w, "data", obj, nil) }
	})
}

// Conversation list paging: page_size defaults to 50, at most 50.
const (
	defaultPageSize = 50
	maxPageSize     = 50
)

// serveConversationList answers GET /v1/conversations?bot_id=&page_num=
// &page_size=: the caller's conversations with that bot, newest first,
// {"conversations":[...],"has_more":bool}.
func (s *Server) serveConversationList(w http.ResponseWriter, r *http.Request) {
	owner, ok := s.enter(w, r, http.MethodGet)
	if !ok {
		return
	}
	q := r.URL.Query()
	bot := q.Get("bot_id")
	if bot == "" {
		badParam(w, "bot_id is required (in the query string)")
		return
	}
	page, ok := intParam(w, q.Get("page_num"), "page_num", 1, 1, 1<<20)
	if !ok {
		return
	}
	size, ok := intParam(w, q.Get("page_size"), "page_size", defaultPageSize, 1, maxPageSize)
	if !ok {
		return
	}
	if !s.allowBot(w, r, bot) {
		return
	}
	st := &s.convs
	st.mu.Lock()
	var mine []*conversation
	for _, c := range st.byID {
		if c.owner == owner && c.botID == bot {
			mine = append(mine, c)
		}
	}
	slices.SortFunc(mine, func(a, b *conversation) int { return cmp.Compare(b.seq, a.seq) })
	out := []conversationObject{}
	start := (page - 1) * size
	for i := start; i < len(mine) && i < start+size; i++ {
		out = append(out, mine[i].object())
	}
	more := start+size < len(mine)
	st.mu.Unlock()
	writeAPIData(w, "data", map[string]any{"conversations": out, "has_more": more}, nil)
}

// serveConversationClear answers POST /v1/conversations/{id}/clear: a new
// section begins (the model forgets the context; the messages stay), and
// the answer is {"id":<new section id>,"conversation_id":id}.
func (s *Server) serveConversationClear(w http.ResponseWriter, r *http.Request, id string) {
	owner, ok := s.enter(w, r, http.MethodPost)
	if !ok {
		return
	}
	s.withConversation(w, r, owner, id, func(c *conversation) func() {
		c.section = newID()
		out := map[string]string{"id": c.section, "conversation_id": c.id}
		return func() { writeAPIData(w, "data", out, nil) }
	})
}

// intParam parses a decimal query parameter between lo and hi, def when
// empty; it answers code 4000 otherwise.
func intParam(w http.ResponseWriter, v, name string, def, lo, hi int) (int, bool) {
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		badParam(w, name+" must be an integer from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi))
		return 0, false
	}
	return n, true
}
