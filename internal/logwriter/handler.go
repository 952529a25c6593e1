package logwriter

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Handler is a slog.Handler writing text or JSON lines (exactly as
// slog.NewTextHandler or slog.NewJSONHandler with default options would)
// to a Writer, with a fast path for the lines written on every request:
// Line builds a line by appending, without slog's reflection and
// allocations, and falls back to the ordinary path for any value that
// would need quoting or escaping.
type Handler struct {
	inner  slog.Handler
	w      *Writer
	json   bool
	prefix []byte // the attributes of WithAttrs, encoded; fast is false when one could not be
	fast   bool
	// The last times formatted: a hot token's expiry repeats on every
	// hit, and the line's own time within a millisecond (text).
	stamp, attr atomic.Pointer[formatted]
}

// formatted is a time and its encoding. The time is kept as what its
// encoding shows: Unix second, fraction (milliseconds in text, nanoseconds
// in JSON) and location, so the cache is checked without date arithmetic.
type formatted struct {
	sec  int64
	frac int32
	loc  *time.Location
	text []byte
}

// appendTime appends t's encoding (RFC 3339 with milliseconds in text,
// RFC3339Nano in JSON), reusing the last one cached in c when it is the
// same instant in the same location (to the millisecond in text).
func (h *Handler) appendTime(b []byte, t time.Time, c *atomic.Pointer[formatted]) []byte {
	sec, frac, loc := t.Unix(), int32(t.Nanosecond()), t.Location()
	if !h.json {
		frac /= int32(time.Millisecond)
	}
	if f := c.Load(); f != nil && f.sec == sec && f.frac == frac && f.loc == loc {
		return append(b, f.text...)
	}
	n := len(b)
	if h.json {
		b = t.AppendFormat(b, time.RFC3339Nano)
	} else {
		b = appendRFC3339Millis(b, t)
	}
	c.Store(&formatted{sec: sec, frac: frac, loc: loc, text: append([]byte(nil), b[n:]...)})
	return b
}

// Unix seconds of 0001-01-02 and 9999-12-30, UTC: a time between them is
// in years 0 to 9999 in any location.
const (
	safeFrom = -62135510400
	safeTo   = 253402128000
)

// yearOK reports whether t's year is 0 to 9999, which the fast path
// formats as slog does (slog handles the others its own way).
func yearOK(t time.Time) bool {
	if s := t.Unix(); s > safeFrom && s < safeTo {
		return true
	}
	y := t.Year()
	return y >= 0 && y < 10000
}

// NewHandler returns a Handler writing text (or JSON) lines to w.
func NewHandler(w *Writer, asJSON bool) *Handler {
	h := &Handler{w: w, json: asJSON, fast: true}
	if asJSON {
		h.inner = slog.NewJSONHandler(w, nil)
	} else {
		h.inner = slog.NewTextHandler(w, nil)
	}
	return h
}

func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

func (h *Handler) Handle(ctx context.Context, r slog.Record) error { return h.inner.Handle(ctx, r) }

func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	n := &Handler{inner: h.inner.WithAttrs(attrs), w: h.w, json: h.json, fast: h.fast}
	n.prefix = append([]byte(nil), h.prefix...)
	for _, a := range attrs {
		if a.Value.Kind() != slog.KindString || !simple(a.Key) || !plain(a.Value.String()) {
			n.fast = false
			break
		}
		n.prefix = appendKey(n.prefix, a.Key, n.json)
		n.prefix = appendStr(n.prefix, a.Value.String(), n.json)
	}
	return n
}

func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{inner: h.inner.WithGroup(name), w: h.w, json: h.json}
}

// Line is one line under construction; see Handler.Line.
type Line struct {
	h   *Handler
	buf []byte
	ok  bool
}

var linePool = sync.Pool{New: func() any { return &Line{buf: make([]byte, 0, 512)} }}

// Line starts an INFO line with message msg, stamped now. It returns nil
// when the fast path cannot be used (a group, an attribute of WithAttrs
// that needs quoting, INFO not enabled): then log through slog.
func (h *Handler) Line(msg string) *Line {
	return h.LineAt(time.Now(), msg)
}

// LineAt is Line stamped t, for a caller that has just read the clock.
func (h *Handler) LineAt(t time.Time, msg string) *Line {
	if !h.fast || !simple(msg) || !h.inner.Enabled(context.Background(), slog.LevelInfo) || !yearOK(t) {
		return nil
	}
	l := linePool.Get().(*Line)
	l.h, l.ok, l.buf = h, true, l.buf[:0]
	if h.json {
		l.buf = append(l.buf, `{"time":"`...)
		l.buf = h.appendTime(l.buf, t, &h.stamp)
		l.buf = append(l.buf, `","level":"INFO","msg":"`...)
		l.buf = append(l.buf, msg...)
		l.buf = append(l.buf, '"')
	} else {
		l.buf = append(l.buf, "time="...)
		l.buf = h.appendTime(l.buf, t, &h.stamp)
		l.buf = append(l.buf, " level=INFO msg="...)
		l.buf = append(l.buf, msg...)
	}
	l.buf = append(l.buf, h.prefix...)
	return l
}

// Str adds a string attribute. A value that would need quoting or
// escaping makes Write report false.
func (l *Line) Str(key, v string) *Line {
	if !plain(v) {
		l.ok = false
		return l
	}
	l.buf = appendKey(l.buf, key, l.h.json)
	l.buf = appendStr(l.buf, v, l.h.json)
	return l
}

// Int adds an integer attribute.
func (l *Line) Int(key string, v int64) *Line {
	l.buf = appendKey(l.buf, key, l.h.json)
	l.buf = strconv.AppendInt(l.buf, v, 10)
	return l
}

// Time adds a time attribute.
func (l *Line) Time(key string, t time.Time) *Line {
	if !yearOK(t) {
		l.ok = false
		return l
	}
	l.buf = appendKey(l.buf, key, l.h.json)
	if l.h.json {
		l.buf = append(l.buf, '"')
		l.buf = l.h.appendTime(l.buf, t, &l.h.attr)
		l.buf = append(l.buf, '"')
	} else {
		l.buf = l.h.appendTime(l.buf, t, &l.h.attr)
	}
	return l
}

// Mark is where the attributes added next begin (see Since).
func (l *Line) Mark() int { return len(l.buf) }

// Since returns a copy of the attributes added after mark, as this
// Handler writes them, for Append to add to a later line of the same
// Handler; nil when one of them needed the ordinary path.
func (l *Line) Since(mark int) []byte {
	if !l.ok || mark < 0 || mark > len(l.buf) {
		return nil
	}
	return append([]byte(nil), l.buf[mark:]...)
}

// Append adds attributes rendered by Since from a line of the same
// Handler: a caller that writes the same attributes again and again
// renders them once.
func (l *Line) Append(rendered []byte) *Line {
	l.buf = append(l.buf, rendered...)
	return l
}

// Write ends the line and queues it, reporting true; or, when a value
// needed the ordinary path, writes nothing and reports false: log the
// line through slog instead. The Line must not be used afterwards.
func (l *Line) Write() bool {
	ok := l.ok
	if ok {
		if l.h.json {
			l.buf = append(l.buf, "}\n"...)
		} else {
			l.buf = append(l.buf, '\n')
		}
		_, _ = l.h.w.Write(l.buf)
	}
	if cap(l.buf) <= 4<<10 {
		l.h = nil
		linePool.Put(l)
	}
	return ok
}

func appendKey(b []byte, key string, asJSON bool) []byte {
	if asJSON {
		b = append(b, ',', '"')
		b = append(b, key...)
		return append(b, '"', ':')
	}
	b = append(b, ' ')
	b = append(b, key...)
	return append(b, '=')
}

// appendStr appends a plain value: as it is in text ("" when empty), in
// quotes in JSON.
func appendStr(b []byte, v string, asJSON bool) []byte {
	if asJSON || v == "" {
		b = append(b, '"')
		b = append(b, v...)
		return append(b, '"')
	}
	return append(b, v...)
}

// plain reports whether v is written the same, unescaped, by both slog
// handlers: empty, or printable ASCII without space, '=', '"' and '\'.
func plain(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= ' ' || c >= 0x7f || c == '=' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// simple is plain and not empty: a key or message written bare.
func simple(v string) bool { return v != "" && plain(v) }

// appendRFC3339Millis formats t as slog's text handler does: RFC 3339
// with exactly three fractional digits, truncated.
func appendRFC3339Millis(b []byte, t time.Time) []byte {
	const prefixLen = len("2006-01-02T15:04:05.000")
	n := len(b)
	t = t.Truncate(time.Millisecond).Add(time.Millisecond / 10)
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b[:n+prefixLen], b[n+prefixLen+1:]...)
}
