package server

import (
	"hash/maphash"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

// answers keeps the rendered JSON answer of the tokens handed out most
// recently, so a cache hit writes bytes already made instead of escaping
// the token again. It is direct-mapped by the token's address: the broker
// hands out the same *coze.Token until it replaces the token, so a hot
// session finds its answer at once, and a replaced token's slot is simply
// taken over. It holds at most answerSlots answers.
type answers struct {
	seed  maphash.Seed
	slots [answerSlots]atomic.Pointer[answer]
}

const answerSlots = 256

type answer struct {
	tok  *coze.Token
	body []byte
	tail atomic.Pointer[auditTail] // the token's audit line attributes, last rendered (see Server.audit)
}

func newAnswers() *answers { return &answers{seed: maphash.MakeSeed()} }

// get returns tok's answer; its body is {"access_token","expires_in",
// "token_type"} and a newline, which the caller must not modify.
func (a *answers) get(tok *coze.Token) *answer {
	slot := &a.slots[maphash.Comparable(a.seed, tok)%answerSlots]
	if an := slot.Load(); an != nil && an.tok == tok {
		return an
	}
	an := &answer{tok: tok, body: renderAnswer(tok)}
	slot.Store(an)
	return an
}

// renderAnswer renders tok's answer. expires_in is the absolute epoch
// second, as the Cloudflare Worker cozeauth replaces answered.
func renderAnswer(tok *coze.Token) []byte {
	buf := make([]byte, 0, 96+len(tok.AccessToken))
	buf = append(buf, `{"access_token":`...)
	buf = appendJSONString(buf, tok.AccessToken)
	buf = append(buf, `,"expires_in":`...)
	buf = strconv.AppendInt(buf, tok.ExpiresAt.Unix(), 10)
	buf = append(buf, `,"token_type":"Bearer"}`...)
	return append(buf, '\n')
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// dateHeader is the Date header of answers, formatted once per second
// from the clock reading the handler already has: net/http would read the
// clock and format the date again for every answer that lacks one.
type dateHeader struct{ last atomic.Pointer[dateValue] }

type dateValue struct {
	sec int64
	hdr []string
}

// at is the Date header value for now (http.TimeFormat, whole seconds);
// the caller must not modify it.
func (d *dateHeader) at(now time.Time) []string {
	sec := now.Unix()
	if v := d.last.Load(); v != nil && v.sec == sec {
		return v.hdr
	}
	v := &dateValue{sec: sec, hdr: []string{now.UTC().Format(http.TimeFormat)}}
	d.last.Store(v)
	return v.hdr
}
