package emulator

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Fault is a misbehaviour the token endpoint shows for its next Times
// requests. Latency applies first; then Drop, Status, or (if neither) the
// normal answer, lost when LoseAnswer is set.
type Fault struct {
	Times      int           // how many requests the fault affects; 0 means 1
	Latency    time.Duration // sleep before answering (ends early if the request is cancelled)
	Status     int           // if non-zero, answer this status with a Coze-style error body (429 too_many_requests, 5xx internal_error)
	RetryAfter string        // value for a Retry-After header (use with Status 429 or 503)
	Drop       bool          // hijack and close the connection without answering (nothing is redeemed)
	// LoseAnswer carries the request out (a code, device code or refresh
	// token is redeemed, a mint counted) and then closes the connection
	// instead of delivering the answer, as when a client dies or the
	// network fails between Coze's answer and the client saving it.
	LoseAnswer bool
}

// Inject queues f behind any faults already queued. It panics on a Status
// that is not a valid HTTP status code.
func (s *Server) Inject(f Fault) {
	if f.Status != 0 && (f.Status < 100 || f.Status > 599) {
		panic(fmt.Sprintf("emulator: Inject with invalid status %d", f.Status))
	}
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault consumes one use of the fault at the head of the queue.
func (s *Server) takeFault() (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return Fault{}, false
	}
	f := s.faults[0]
	s.faults[0].Times--
	if s.faults[0].Times <= 0 {
		s.faults = s.faults[1:]
	}
	return f, true
}

// applyFault carries out f and reports whether the request has been dealt
// with (answered, dropped or cancelled).
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	if f.Latency > 0 {
		bufferBody(r)
		t := time.NewTimer(f.Latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return true
		}
	}
	if f.Drop {
		dropConnection(w)
		return true
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	if f.Status == 0 {
		return false
	}
	writeOAuthError(w, newOAuthErr(f.Status, faultCode(f.Status),
		"emulated fault: "+http.StatusText(f.Status)))
	return true
}

// bufferBody reads the request body (up to one byte past MaxBodyBytes) ahead
// of time. An HTTP/1 server notices a client hanging up only once the body
// has been read, so this lets a sleeping handler see cancellation.
func bufferBody(r *http.Request) {
	b, _ := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	r.Body = readCloser{io.MultiReader(bytes.NewReader(b), r.Body), r.Body}
}

// readCloser joins a Reader with another value's Close.
type readCloser struct {
	io.Reader
	io.Closer
}

// faultCode is the error_code Coze uses for status.
func faultCode(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return "too_many_requests"
	case status >= 500:
		return "internal_error"
	case status == http.StatusUnauthorized:
		return "invalid_client"
	case status == http.StatusForbidden:
		return "access_denied"
	default:
		return "invalid_request"
	}
}

// dropConnection closes the client connection without a response. Where the
// connection cannot be hijacked (HTTP/2), it aborts the handler instead, which
// resets the stream.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}
