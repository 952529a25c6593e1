// Package broker is the one place Coze tokens are reused: an in-memory
// cache bounded in size, one upstream mint per key however many callers
// ask, refresh ahead of expiry, negative caching of failures, and an
// optional shared store so several replicas mint once between them.
package broker

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/cozeauth/cozeauth/coze"
)

// Request names one kind of token: everything that makes two tokens
// different. Two equal Requests share one cached token.
type Request struct {
	App string // configured app name
	// Owner is who the token is held for: an authenticated client's
	// identity, a public policy's visitors, or "" in open mode. Tokens of
	// two owners are never shared, DropOwner drops one owner's, and the
	// cache counts its memory per owner. It is not sent to Coze.
	Owner          string
	Session        string               // session_name; "" for none
	SessionContext *coze.SessionContext // optional session_context claim
	Scope          *coze.Scope          // optional scope; nil for the app's default
	Duration       int                  // duration_seconds; coze.DefaultDuration when zero
}

func (r *Request) duration() int {
	if r.Duration == 0 {
		return coze.DefaultDuration
	}
	return r.Duration
}

// sharing returns r with App and Session pointing into key's bytes, so a
// cached entry holds each string once.
func (r Request) sharing(key string) Request {
	if len(key) >= len(r.App) && key[:len(r.App)] == r.App {
		r.App = key[:len(r.App)]
	}
	start := len(r.App) + 1 + len(strconv.Itoa(r.duration())) + 1
	if end := start + len(r.Session); end <= len(key) && key[start:end] == r.Session {
		r.Session = key[start:end]
	}
	return r
}

// Key is the request's cache key. It is stable across processes, so a
// shared store can use it.
func (r *Request) Key() string {
	var b strings.Builder
	b.Grow(len(r.App) + len(r.Session) + len(r.Owner) + 16)
	b.WriteString(r.App)
	b.WriteByte(0)
	b.WriteString(strconv.Itoa(r.duration()))
	b.WriteByte(0)
	b.WriteString(r.Session)
	b.WriteByte(0)
	b.WriteString(r.Owner)
	if r.SessionContext != nil || r.Scope != nil {
		// Struct fields marshal in a fixed order: the encoding is canonical.
		b.WriteByte(0)
		c, _ := json.Marshal(r.SessionContext)
		b.Write(c)
		b.WriteByte(0)
		s, _ := json.Marshal(r.Scope)
		b.Write(s)
	}
	return b.String()
}
