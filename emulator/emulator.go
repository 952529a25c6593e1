package emulator

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures a Server. The zero value emulates the cn region.
type Options struct {
	Region   string           // "cn" (default) or "com"; informational
	Audience string           // required JWT aud, default "api.coze.cn" for cn, "api.coze.com" for com
	Now      func() time.Time // clock, default time.Now (lets tests simulate server clock skew)
	Leeway   time.Duration    // allowed clock skew for iat/exp checks, default 60s; negative means none

	// StreamDelay is the pause between the events of a streamed /v3/chat
	// answer, default DefaultStreamDelay; negative means none.
	StreamDelay time.Duration
	// StreamEvents is the number of conversation.message.delta events of a
	// streamed /v3/chat answer; zero or negative means one per word.
	StreamEvents int
}

// DefaultLeeway is the clock skew allowed for iat/exp when Options.Leeway is zero.
const DefaultLeeway = 60 * time.Second

// DefaultStreamDelay is the pause between streamed chat events when
// Options.StreamDelay is zero.
const DefaultStreamDelay = 20 * time.Millisecond

// Server is a fake Coze API server. It implements http.Handler and is safe for
// concurrent use. Create it with New.
type Server struct {
	region   string
	audience string
	now      func() time.Time
	leeway   time.Duration
	tokenKey []byte // HMAC key for access tokens, random per Server

	streamDelay  time.Duration
	streamEvents int
	maxUpload    int64 // MaxUploadBytes; lowered by internal tests
	onEvent      atomic.Pointer[func(name string, at time.Time)]

	mu         sync.Mutex
	apps       map[string]bool
	keys       map[string]appKey // kid -> key
	pats       map[string]string // personal access token -> user id
	jtis       replayCache
	faults     []Fault
	mints      int
	mintsBy    map[mintKey]int
	requests   int
	lastClaims []byte
	lastBody   []byte
	lastPath   string
	grants     []Grant // successful mints, oldest first, at most maxGrants
	apiCalls   int
	lastAuth   string
	lastUpload uploadInfo
}

// New returns a Server configured by opts, with no apps registered.
func New(opts Options) *Server {
	region := strings.ToLower(strings.TrimSpace(opts.Region))
	if region == "" {
		region = "cn"
	}
	aud := opts.Audience
	if aud == "" {
		aud = "api.coze.cn"
		if region == "com" {
			aud = "api.coze.com"
		}
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	leeway := opts.Leeway
	switch {
	case leeway == 0:
		leeway = DefaultLeeway
	case leeway < 0:
		leeway = 0
	}
	delay := opts.StreamDelay
	switch {
	case delay == 0:
		delay = DefaultStreamDelay
	case delay < 0:
		delay = 0
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails (Go 1.24+)
	return &Server{
		region:   region,
		audience: aud,
		now:      now,
		leeway:   leeway,
		tokenKey: key,

		streamDelay:  delay,
		streamEvents: max(opts.StreamEvents, 0),
		maxUpload:    MaxUploadBytes,

		apps:    make(map[string]bool),
		keys:    make(map[string]appKey),
		pats:    make(map[string]string),
		mintsBy: make(map[mintKey]int),
	}
}

// Region reports the (informational) region this Server emulates.
func (s *Server) Region() string { return s.region }

// Audience reports the JWT aud this Server requires.
func (s *Server) Audience() string { return s.audience }

// ServeHTTP routes a request to the emulated endpoint. Every answer carries a
// fresh X-Tt-Logid header and a Date header from the emulator's clock
// (Options.Now), so clients can measure clock skew against it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Tt-Logid", s.newLogID())
	w.Header().Set("Date", s.now().UTC().Format(http.TimeFormat))
	path := r.URL.Path
	switch {
	case isTokenPath(path):
		s.serveToken(w, r)
	case path == "/v1/users/me":
		s.serveUsersMe(w, r)
	case path == "/v3/chat":
		s.serveChat(w, r)
	case path == "/v1/files/upload":
		s.serveUpload(w, r)
	case path == "/v1/chat":
		s.serveWebSocket(w, r)
	case path == "/_emulator/stats":
		s.serveStats(w, r)
	default:
		writeAPIError(w, http.StatusNotFound, 4000, "the requested API path does not exist")
	}
}

// isTokenPath reports whether path is one of the OAuth token endpoints:
// /api/permission/oauth2/token, .../account/{account_id}/token or
// .../enterprise_id/{enterprise_id}/token.
func isTokenPath(path string) bool {
	rest, ok := strings.CutPrefix(path, "/api/permission/oauth2/")
	if !ok {
		return false
	}
	seg := strings.Split(rest, "/")
	switch len(seg) {
	case 1:
		return seg[0] == "token"
	case 3:
		return (seg[0] == "account" || seg[0] == "enterprise_id") && seg[1] != "" && seg[2] == "token"
	}
	return false
}

// newLogID returns an id shaped like Coze's: a yyyyMMddHHmmss timestamp
// followed by 20 upper-case hex digits of randomness.
func (s *Server) newLogID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return s.now().UTC().Format("20060102150405") + strings.ToUpper(hex.EncodeToString(b[:]))
}

// newID returns a 19-digit numeric id shaped like Coze's chat, message,
// conversation and file ids.
func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("7%018d", binary.BigEndian.Uint64(b[:])%1e18)
}
