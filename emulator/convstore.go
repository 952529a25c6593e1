package emulator

import (
	"container/list"
	"sync"
	"unicode/utf8"
)

// Bounds of the in-memory conversation store. When a bound is passed the
// least recently used conversation (with its messages and chats) is
// evicted; within one conversation the oldest messages and chats go first.
const (
	MaxConversations       = 10_000  // conversations held, all identities together
	MaxConversationMsgs    = 1_000   // messages held per conversation
	MaxConversationChats   = 1_000   // chats held per conversation
	MaxStoredMessages      = 100_000 // messages held in all conversations and chats
	MaxStoredBytes         = 64 << 20
	maxAdditionalMessages  = 100 // Coze's limit on /v3/chat additional_messages
	maxMetaPairs           = 16
	maxMetaKey, maxMetaVal = 64, 512
)

// message is Coze's ChatV3Message, as stored and as answered.
type message struct {
	ID               string            `json:"id"`
	ConversationID   string            `json:"conversation_id"`
	BotID            string            `json:"bot_id"`
	ChatID           string            `json:"chat_id"`
	MetaData         map[string]string `json:"meta_data"`
	Role             string            `json:"role"`
	Content          string            `json:"content"`
	ContentType      string            `json:"content_type"`
	CreatedAt        int64             `json:"created_at"`
	UpdatedAt        int64             `json:"updated_at"`
	Type             string            `json:"type"`
	SectionID        string            `json:"section_id"`
	ReasoningContent string            `json:"reasoning_content"`
}

// size is what a message charges against MaxStoredBytes.
func (m *message) size() int { return len(m.Content) + metaSize(m.MetaData) + 256 }

// conversation is one conversation and what it holds. Its meta_data maps
// and its messages' are never changed in place, only replaced, so a copied
// message may be encoded after the lock is released.
type conversation struct {
	id, owner, botID string
	seq              uint64 // creation order
	createdAt        int64
	meta             map[string]string
	section          string
	msgs             []*message
	chats            map[string]*chatRec
	chatOrder        []*chatRec // oldest first
	elem             *list.Element
	count, bytes     int // charged to the store
}

// convStore holds every conversation of a Server. The zero value is ready
// and uses the Max* bounds; mu guards everything reachable from it.
type convStore struct {
	mu           sync.Mutex
	byID         map[string]*conversation
	lru          list.List // of *conversation, least recently used first
	seq          uint64
	count, bytes int
	limits       convLimits // zero fields mean the Max* constants
}

// convLimits are a store's bounds; tests lower them.
type convLimits struct {
	convs, convMsgs, convChats, msgs, bytes int
}

func (st *convStore) limit(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// get answers the conversation id if owner may see it, marking it used.
func (st *convStore) get(owner, id string) (*conversation, bool) {
	c, ok := st.byID[id]
	if !ok || c.owner != owner {
		return nil, false
	}
	st.lru.MoveToBack(c.elem)
	return c, true
}

// create adds a conversation for owner; its first section id is its id, as
// on Coze.
func (st *convStore) create(owner, botID string, meta map[string]string, now int64) *conversation {
	if st.byID == nil {
		st.byID = make(map[string]*conversation)
	}
	st.seq++
	id := newID()
	c := &conversation{
		id: id, owner: owner, botID: botID, seq: st.seq, createdAt: now,
		meta: nonNil(meta), section: id, chats: make(map[string]*chatRec),
	}
	c.elem = st.lru.PushBack(c)
	st.byID[id] = c
	st.trim(c)
	return c
}

// addMessage appends m to c, dropping c's oldest messages beyond
// MaxConversationMsgs, then enforces the store's bounds.
func (st *convStore) addMessage(c *conversation, m *message) {
	c.msgs = append(c.msgs, m)
	st.charge(c, 1, m.size())
	for len(c.msgs) > st.limit(st.limits.convMsgs, MaxConversationMsgs) {
		st.charge(c, -1, -c.msgs[0].size())
		c.msgs[0] = nil
		c.msgs = c.msgs[1:]
	}
	st.trim(c)
}

// removeMessage drops c.msgs[i].
func (st *convStore) removeMessage(c *conversation, i int) {
	st.charge(c, -1, -c.msgs[i].size())
	c.msgs = append(c.msgs[:i], c.msgs[i+1:]...)
}

// replaceMessage swaps c.msgs[i] for m, recharging its size.
func (st *convStore) replaceMessage(c *conversation, i int, m *message) {
	st.charge(c, 0, m.size()-c.msgs[i].size())
	c.msgs[i] = m
	st.trim(c)
}

// findMessage answers the index of message id in c, or -1.
func (c *conversation) findMessage(id string) int {
	for i, m := range c.msgs {
		if m.ID == id {
			return i
		}
	}
	return -1
}

// addChat records ch in c, dropping c's oldest chats beyond
// MaxConversationChats.
func (st *convStore) addChat(c *conversation, ch *chatRec) {
	c.chats[ch.ID] = ch
	c.chatOrder = append(c.chatOrder, ch)
	for len(c.chatOrder) > st.limit(st.limits.convChats, MaxConversationChats) {
		old := c.chatOrder[0]
		st.charge(c, -len(old.msgs), -old.bytes)
		delete(c.chats, old.ID)
		c.chatOrder[0] = nil
		c.chatOrder = c.chatOrder[1:]
	}
	st.trim(c)
}

// addChatMessage records m as produced by ch (what /v3/chat/message/list
// answers) and, when ch saves history, in its conversation too.
func (st *convStore) addChatMessage(ch *chatRec, m *message) {
	ch.msgs = append(ch.msgs, m)
	ch.bytes += m.size()
	st.charge(ch.conv, 1, m.size())
	if ch.save {
		st.addMessage(ch.conv, m)
		return
	}
	st.trim(ch.conv)
}

// charge adds n messages and b bytes to c's and the store's totals.
func (st *convStore) charge(c *conversation, n, b int) {
	c.count += n
	c.bytes += b
	st.count += n
	st.bytes += b
}

// over reports whether a bound of the store is passed.
func (st *convStore) over() bool {
	return len(st.byID) > st.limit(st.limits.convs, MaxConversations) ||
		st.count > st.limit(st.limits.msgs, MaxStoredMessages) ||
		st.bytes > st.limit(st.limits.bytes, MaxStoredBytes)
}

// trim evicts least recently used conversations other than keep until the
// store is within its bounds; if keep alone passes them, it loses its oldest
// messages and then its oldest chats.
func (st *convStore) trim(keep *conversation) {
	for st.over() {
		e := st.lru.Front()
		if e != nil && e.Value.(*conversation) == keep {
			e = e.Next()
		}
		if e == nil {
			break
		}
		st.evict(e.Value.(*conversation))
	}
	for st.over() && len(keep.msgs) > 0 {
		st.removeMessage(keep, 0)
	}
	for st.over() && len(keep.chatOrder) > 0 {
		old := keep.chatOrder[0]
		st.charge(keep, -len(old.msgs), -old.bytes)
		delete(keep.chats, old.ID)
		keep.chatOrder = keep.chatOrder[1:]
	}
}

// evict removes c and everything it holds.
func (st *convStore) evict(c *conversation) {
	st.count -= c.count
	st.bytes -= c.bytes
	st.lru.Remove(c.elem)
	delete(st.byID, c.id)
}

// stats answers the number of conversations, messages and bytes held.
func (st *convStore) stats() (convs, msgs, bytes int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.byID), st.count, st.bytes
}

// metaSize is the bytes of a meta_data map.
func metaSize(m map[string]string) int {
	n := 0
	for k, v := range m {
		n += len(k) + len(v)
	}
	return n
}

// nonNil is m, or an empty map for nil, so meta_data encodes as {}.
func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// checkMeta validates meta_data as Coze does: at most 16 pairs, keys of 1
// to 64 characters, values of at most 512.
func checkMeta(m map[string]string) string {
	if len(m) > maxMetaPairs {
		return "meta_data has more than 16 pairs"
	}
	for k, v := range m {
		if n := utf8.RuneCountInString(k); n == 0 || n > maxMetaKey {
			return "meta_data keys must be 1 to 64 characters"
		}
		if utf8.RuneCountInString(v) > maxMetaVal {
			return "meta_data values must be at most 512 characters"
		}
	}
	return ""
}
