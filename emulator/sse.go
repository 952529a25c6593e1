package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// OnEvent sets a hook called with the name of every server-sent event (such
// as "conversation.message.delta" or "done") and the wall-clock time it was
// flushed, so a benchmark can measure event latency. fn is called from
// handler goroutines, possibly concurrently; nil removes the hook.
func (s *Server) OnEvent(fn func(name string, at time.Time)) {
	if fn == nil {
		s.onEvent.Store(nil)
		return
	}
	s.onEvent.Store(&fn)
}

// sseStream writes Coze's server-sent events, "event:<name>\ndata:<json>\n\n",
// flushing each one and pausing delay between them. Each data value is one
// line of JSON, as Coze's SDKs expect.
type sseStream struct {
	s     *Server
	w     http.ResponseWriter
	rc    *http.ResponseController
	r     *http.Request
	delay time.Duration
	sent  int
	cut   int // a fault's CutAfter: drop the connection after this many events; 0: never
}

// startSSE sends the headers of a text/event-stream answer.
func (s *Server) startSSE(w http.ResponseWriter, r *http.Request) *sseStream {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	return &sseStream{s: s, w: w, rc: http.NewResponseController(w), r: r, delay: s.streamDelay, cut: faultCut(r)}
}

// send waits out the delay (except before the first event), then writes and
// flushes one event. It fails once the client has gone away, or once a
// cut fault has closed the connection.
func (e *sseStream) send(name string, data any) error {
	if e.cut > 0 && e.sent >= e.cut {
		dropConnection(e.w)
		return errCut
	}
	if e.sent > 0 && e.delay > 0 {
		t := time.NewTimer(e.delay)
		select {
		case <-t.C:
		case <-e.r.Context().Done():
			t.Stop()
			return e.r.Context().Err()
		}
	}
	if err := e.r.Context().Err(); err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteString("event:" + name + "\ndata:")
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(data); err != nil { // Encode ends the line
		return err
	}
	buf.WriteByte('\n')
	if _, err := e.w.Write(buf.Bytes()); err != nil {
		return err
	}
	if err := e.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	e.sent++
	if fn := e.s.onEvent.Load(); fn != nil {
		(*fn)(name, time.Now())
	}
	return nil
}
