package emulator

import (
	"net/http"
	"slices"
	"strconv"
)

// Message list paging: limit defaults to 50, at most 50.
const (
	defaultMsgLimit = 50
	maxMsgLimit     = 50
)

// serveMessageCreate answers POST /v1/conversation/message/create
// ?conversation_id=: role, content and content_type are required.
func (s *Server) serveMessageCreate(w http.ResponseWriter, r *http.Request) {
	owner, ok := s.enter(w, r, http.MethodPost)
	if !ok {
		return
	}
	var req enterMessage
	if !readAPIBody(w, r, &req) {
		return
	}
	switch {
	case req.Role == "":
		badParam(w, "role is required")
		return
	case len(req.Content) == 0:
		badParam(w, "content is required")
		return
	case req.ContentType == "":
		badParam(w, "content_type is required")
		return
	}
	in, problem := checkEnterMessages("message", []enterMessage{req})
	if problem != "" {
		badParam(w, problem)
		return
	}
	now := s.now().Unix()
	s.withConversation(w, r, owner, r.URL.Query().Get("conversation_id"), func(c *conversation) func() {
		m := *s.convs.storeInput(c, "", in, now)[0]
		return func() { writeAPIData(w, "data", m, nil) }
	})
}

// serveMessageList answers POST /v1/conversation/message/list
// ?conversation_id= with an optional body {order, chat_id, before_id,
// after_id, limit}: a page of messages in order ("desc", the default, is
// newest first), {"data":[...],"first_id","last_id","has_more"} beside
// code and msg. before_id and after_id are positions in that order: the
// next page is after_id=<last_id>, the previous before_id=<first_id>.
func (s *Server) serveMessageList(w http.ResponseWriter, r *http.Request) {
	owner, ok := s.enter(w, r, http.MethodPost)
	if !ok {
		return
	}
	var req struct {
		Order    string `json:"order"`
		ChatID   string `json:"chat_id"`
		BeforeID string `json:"before_id"`
		AfterID  string `json:"after_id"`
		Limit    *int   `json:"limit"`
	}
	if !readAPIBody(w, r, &req) {
		return
	}
	limit := defaultMsgLimit
	if req.Limit != nil {
		limit = *req.Limit
	}
	switch {
	case req.Order != "" && req.Order != "desc" && req.Order != "asc":
		badParam(w, `order must be "desc" or "asc"`)
		return
	case limit < 1 || limit > maxMsgLimit:
		badParam(w, "limit must be from 1 to "+strconv.Itoa(maxMsgLimit))
		return
	case req.BeforeID != "" && req.AfterID != "":
		badParam(w, "give before_id or after_id, not both")
		return
	}
	s.withConversation(w, r, owner, r.URL.Query().Get("conversation_id"), func(c *conversation) func() {
		var list []*message
		for _, m := range c.msgs {
			if req.ChatID == "" || m.ChatID == req.ChatID {
				list = append(list, m)
			}
		}
		if req.Order != "asc" {
			slices.Reverse(list)
		}
		at := func(id string) int {
			for i, m := range list {
				if m.ID == id {
					return i
				}
			}
			return -1
		}
		lo, hi, more := 0, min(limit, len(list)), limit < len(list)
		switch {
		case req.AfterID != "":
			i := at(req.AfterID)
			if i < 0 {
				return func() { badParam(w, "after_id "+strconv.Quote(req.AfterID)+" is not a message of this list") }
			}
			lo, hi = i+1, min(i+1+limit, len(list))
			more = hi < len(list)
		case req.BeforeID != "":
			i := at(req.BeforeID)
			if i < 0 {
				return func() { badParam(w, "before_id "+strconv.Quote(req.BeforeID)+" is not a message of this list") }
			}
			lo, hi = max(i-limit, 0), i
			more = lo > 0
		}
		page := make([]message, 0, hi-lo)
		for _, m := range list[lo:hi] {
			page = append(page, *m)
		}
		first, last := "", ""
		if len(page) > 0 {
			first, last = page[0].ID, page[len(page)-1].ID
		}
		return func() {
			writeAPIData(w, "data", page, map[string]any{"first_id": first, "last_id": last, "has_more": more})
		}
	})
}

// withMessage runs act with the index of message_id (from the query) in
// the caller's conversation_id under the store's lock, then the answer it
// returns.
func (s *Server) withMessage(w http.ResponseWriter, r *http.Request, owner string, act func(c *conversation, i int) (answer func())) {
	id := r.URL.Query().Get("message_id")
	if id == "" {
		badParam(w, "message_id is required (in the query string)")
		return
	}
	s.withConversation(w, r, owner, r.URL.Query().Get("conversation_id"), func(c *conversation) func() {
		i := c.findMessage(id)
		if i < 0 {
			return func() { notFound(w, "message", id) }
		}
		return act(c, i)
	})
}

// serveMessageRetrieve answers GET /v1/conversation/message/retrieve
// ?conversation_id=&message_id=.
func (s *Server) serveMessageRetrieve(w http.ResponseWriter, r *http.Request) {
	owner, ok := s.enter(w, r, http.MethodGet)
	if !ok {
		return
	}
	s.withMessage(w, r, owner, func(c *conversation, i int) func() {
		m := *c.msgs[i]
		return func() { writeAPIData(w, "data", m, nil) }
	})
}

// serveMessageModify answers POST /v1/conversation/message/modify
// ?conversation_id=&message_id= with {content, content_type, meta_data},
// each optional. As on Coze, the message comes back under "message", not
// "data".
func (s *Server) serveMessageModify(w http.ResponseWriter, r *http.Request) {
	owner, ok := s.enter(w, r, http.MethodPost)
	if !ok {
		return
	}
	var req enterMessage
	if !readAPIBody(w, r, &req) {
		return
	}
	content, err := contentString(req.Content)
	problem := ""
	switch {
	case err != nil:
		problem = "content: " + err.Error()
	case req.ContentType != "" && req.ContentType != "text" && req.ContentType != "object_string":
		problem = `content_type must be "text" or "object_string"`
	default:
		problem = checkMeta(req.MetaData)
	}
	if problem != "" {
		badParam(w, problem)
		return
	}
	now := s.now().Unix()
	s.withMessage(w, r, owner, func(c *conversation, i int) func() {
		m := *c.msgs[i]
		if req.Content != nil && string(req.Content) != "null" {
			m.Content = content
		}
		if req.ContentType != "" {
			m.ContentType = req.ContentType
		}
		if req.MetaData != nil {
			m.MetaData = req.MetaData
		}
		m.UpdatedAt = now
		s.convs.replaceMessage(c, i, &m)
		return func() { writeAPIData(w, "message", m, nil) }
	})
}

// serveMessageDelete answers POST /v1/conversation/message/delete
// ?conversation_id=&message_id= with the deleted message.
func (s *Server) serveMessageDelete(w http.ResponseWriter, r *http.Request) {
	owner, ok := s.enter(w, r, http.MethodPost)
	if !ok {
		return
	}
	s.withMessage(w, r, owner, func(c *conversation, i int) func() {
		m := *c.msgs[i]
		s.convs.removeMessage(c, i)
		return func() { writeAPIData(w, "data", m, nil) }
	})
}
