package emulator

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Bounds on faults: how many may wait in the queue, and the longest latency
// one may add.
const (
	MaxFaults       = 1000
	MaxFaultLatency = 10 * time.Minute
)

// Fault is a misbehaviour the emulator shows for the next Times requests
// whose path Path selects. Latency applies first; then Drop, Status, or (if
// neither) the normal answer, lost when LoseAnswer is set, cut short when
// CutAfter is set.
type Fault struct {
	// Path selects the requests: "" means the OAuth token endpoints (and
	// their account and enterprise variants) only; otherwise a path
	// prefix matched by whole segments: "/" is every path, "/v3/chat" is
	// /v3/chat and /v3/chat/retrieve (not /v3/chatx). The emulator's own
	// /_emulator/ paths never fail.
	Path       string
	Times      int           // how many requests the fault affects; 0 means 1
	Latency    time.Duration // sleep before answering (ends early if the request is cancelled)
	Status     int           // if non-zero, answer this status with Coze's error body (429 too_many_requests / 4013, 5xx internal_error / 5000)
	RetryAfter string        // value for a Retry-After header (use with Status 429 or 503)
	Drop       bool          // hijack and close the connection without answering (nothing is carried out)
	// LoseAnswer carries the request out (a code, device code or refresh
	// token is redeemed, a mint counted, a chat sent) and then closes the
	// connection instead of delivering the answer, as when a client dies
	// or the network fails between Coze's answer and the client saving it.
	LoseAnswer bool
	// CutAfter cuts a streamed answer mid-way: after this many events
	// (server-sent events of a streamed chat or workflow, messages of the
	// chat WebSocket) the connection is closed without the rest. A plain
	// answer is delivered whole.
	CutAfter int
}

// check reports what is wrong with f, or "".
func (f *Fault) check() string {
	switch {
	case f.Status != 0 && (f.Status < 100 || f.Status > 599):
		return fmt.Sprintf("status %d is not an HTTP status (100-599)", f.Status)
	case f.Path != "" && (f.Path[0] != '/' || len(f.Path) > 1024):
		return "path must start with / (at most 1024 bytes), or be empty for the token endpoints"
	case f.Latency < 0 || f.Latency > MaxFaultLatency:
		return fmt.Sprintf("latency must be between 0 and %s", MaxFaultLatency)
	case f.Times < 0 || f.CutAfter < 0:
		return "times and cut_after must not be negative"
	case len(f.RetryAfter) > 64 || strings.ContainsAny(f.RetryAfter, "\r\n"):
		return "retry_after must be one short header value"
	}
	return ""
}

// Inject queues f behind any faults already queued. It panics on a Fault
// that is not valid (a Status that is not an HTTP status, a Path not
// starting with "/", a negative or too long latency) or when MaxFaults are
// queued already.
func (s *Server) Inject(f Fault) {
	if err := s.inject(f); err != "" {
		panic("emulator: Inject: " + err)
	}
}

// inject queues f, or says why not.
func (s *Server) inject(f Fault) string {
	if why := f.check(); why != "" {
		return why
	}
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) >= MaxFaults {
		return fmt.Sprintf("%d faults are queued already: clear them first", MaxFaults)
	}
	s.faults = append(s.faults, f)
	return ""
}

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Faults returns a copy of the queued faults, Times counting the uses left.
func (s *Server) Faults() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Fault(nil), s.faults...)
}

// selects reports whether f applies to a request for path.
func (f *Fault) selects(path string) bool {
	if f.Path == "" {
		return isTokenPath(path)
	}
	if f.Path == "/" {
		return true
	}
	p := strings.TrimSuffix(f.Path, "/")
	rest, ok := strings.CutPrefix(path, p)
	return ok && (rest == "" || rest[0] == '/')
}

// takeFault consumes one use of the first queued fault that selects path.
func (s *Server) takeFault(path string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.faults {
		if !s.faults[i].selects(path) {
			continue
		}
		f := s.faults[i]
		s.faults[i].Times--
		if s.faults[i].Times <= 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return f, true
	}
	return Fault{}, false
}

// serveFaulty answers an API request (not the token endpoint, which
// handles its faults itself) under the first fault selecting its path, if
// any, and reports whether a fault answered it or passed it on to next.
func (s *Server) serveFaulty(w http.ResponseWriter, r *http.Request, next func(http.ResponseWriter, *http.Request)) bool {
	f, ok := s.takeFault(r.URL.Path)
	if !ok {
		return false
	}
	if s.applyFault(w, r, f, false) {
		return true
	}
	if f.CutAfter > 0 {
		if st, _ := r.Context().Value(reqStateKey{}).(*reqState); st != nil {
			st.cut = f.CutAfter
		}
	}
	if f.LoseAnswer {
		next(&lostAnswer{header: http.Header{}}, r)
		dropConnection(w)
		return true
	}
	next(w, r)
	return true
}

// faultCut is the CutAfter of the fault applying to r, 0 for none.
func faultCut(r *http.Request) int {
	if st, _ := r.Context().Value(reqStateKey{}).(*reqState); st != nil {
		return st.cut
	}
	return 0
}

// applyFault carries out f and reports whether the request has been dealt
// with (answered, dropped or cancelled). oauth picks the token endpoint's
// error shape over the API's.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f Fault, oauth bool) bool {
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
	msg := "emulated fault: " + http.StatusText(f.Status)
	if oauth {
		writeOAuthError(w, newOAuthErr(f.Status, faultCode(f.Status), msg))
	} else {
		writeAPIError(w, f.Status, faultAPICode(f.Status), msg)
	}
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

// faultCode is the error_code Coze's token endpoint uses for status.
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

// faultAPICode is the code Coze's API uses for status.
func faultAPICode(status int) int {
	switch {
	case status == http.StatusTooManyRequests:
		return 4013 // Coze: request rate over the limit
	case status >= 500:
		return 5000
	case status == http.StatusUnauthorized:
		return CodeInvalidToken
	case status == http.StatusForbidden:
		return CodePermissionDenied
	default:
		return 4000
	}
}

// dropConnection closes the client connection without a response (or
// without the rest of one already begun). Where the connection cannot be
// hijacked (HTTP/2), it aborts the handler instead, which resets the
// stream.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}
