package broker

import (
	"encoding/json"
	"errors"
	"fmt"
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

// compact returns r as a cached entry keeps it: App, Session and Owner
// pointing into key's bytes, so the entry holds each string once, and no
// Scope or SessionContext, which key holds as JSON (see entry.request).
// extra reports whether key ends in that JSON.
func (r Request) compact(key string) (c Request, extra bool) {
	extra = r.SessionContext != nil || r.Scope != nil
	r.SessionContext, r.Scope = nil, nil
	at := 0
	share := func(s string) string {
		if end := at + len(s); end <= len(key) && key[at:end] == s {
			s = key[at:end]
		}
		at += len(s) + 1
		return s
	}
	r.App = share(r.App)
	at += len(strconv.Itoa(r.duration())) + 1
	r.Session = share(r.Session)
	r.Owner = share(r.Owner)
	return r, extra
}

// request is the Request e was added for, its SessionContext and Scope
// decoded from the key. JSON never holds a NUL byte, so they are the two
// fields after the key's last two NULs.
func (e *entry) request() (Request, error) {
	r := e.req
	if !e.extra {
		return r, nil
	}
	i := strings.LastIndexByte(e.key, 0)
	j := strings.LastIndexByte(e.key[:max(i, 0)], 0)
	if j < 0 {
		return r, errors.New("broker: cache key lacks its scope and session context")
	}
	if err := json.Unmarshal([]byte(e.key[j+1:i]), &r.SessionContext); err != nil {
		return r, fmt.Errorf("broker: session context in cache key: %w", err)
	}
	if err := json.Unmarshal([]byte(e.key[i+1:]), &r.Scope); err != nil {
		return r, fmt.Errorf("broker: scope in cache key: %w", err)
	}
	return r, nil
}

// Key is the request's cache key. It is stable across processes, so a
// shared store can use it.
func (r *Request) Key() string {
	var buf [128]byte
	return string(r.appendKey(buf[:0]))
}

// appendKey appends r's cache key (see Key) to b.
func (r *Request) appendKey(b []byte) []byte {
	b = append(b, r.App...)
	b = append(b, 0)
	b = strconv.AppendInt(b, int64(r.duration()), 10)
	b = append(b, 0)
	b = append(b, r.Session...)
	b = append(b, 0)
	b = append(b, r.Owner...)
	if r.SessionContext != nil || r.Scope != nil {
		// Struct fields marshal in a fixed order: the encoding is canonical.
		b = append(b, 0)
		c, _ := json.Marshal(r.SessionContext)
		b = append(b, c...)
		b = append(b, 0)
		s, _ := json.Marshal(r.Scope)
		b = append(b, s...)
	}
	return b
}
