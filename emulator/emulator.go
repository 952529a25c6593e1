package emulator

import (
	"cmp"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures a Server. The zero value emulates the cn region.
type Options struct {
	Region   string // "cn" (default) or "com"; informational
	Audience string // the region's JWT aud, default "api.coze.cn" for cn, "api.coze.com" for com
	// Audiences are further JWT aud values accepted. Besides these and
	// Audience, an assertion may name the host[:port] its token request
	// was sent to (the request's Host), as the SDKs sign aud from the base
	// URL they are given.
	Audiences []string
	Now       func() time.Time // clock, default time.Now (lets tests simulate server clock skew)
	Leeway    time.Duration    // allowed clock skew for iat/exp checks, default 60s; negative means none

	// StreamDelay is the pause between the events of a streamed /v3/chat
	// answer, default DefaultStreamDelay; negative means none.
	StreamDelay time.Duration
	// StreamEvents is the number of conversation.message.delta events of a
	// streamed /v3/chat answer; zero or negative means one per word.
	StreamEvents int

	// Approve is how the emulated person answers consent requests (the
	// authorize page and the device verification page): ApproveAsk (the
	// default, "") shows a consent page with Approve and Deny buttons,
	// ApproveAuto approves at once, ApproveDeny refuses at once. New panics
	// on any other value; see ParseApprove.
	Approve string
	// User is the Coze user id of the emulated logged-in person who
	// consents, default DefaultUser. Access tokens from user grants name
	// this user in /v1/users/me.
	User string
	// WWWBase (e.g. "http://127.0.0.1:8090") is where the device flow's
	// verification_uri points; default the scheme and Host of the
	// device-code request, since the emulator serves the www pages itself.
	WWWBase string
	// CodeTTL is the lifetime of an authorization code and of a pending
	// consent page, default DefaultCodeTTL.
	CodeTTL time.Duration
	// RefreshTTL is the lifetime of a refresh token from its issue, default
	// DefaultRefreshTTL.
	RefreshTTL time.Duration
	// DeviceCodeTTL is the lifetime of a device code and its user code
	// (the answer's expires_in), default DefaultDeviceCodeTTL.
	DeviceCodeTTL time.Duration
	// DeviceInterval is the polling interval a device code starts with
	// (whole seconds in the answer), default DefaultDeviceInterval; negative
	// means 0 and no slow_down.
	DeviceInterval time.Duration
}

// DefaultLeeway is the clock skew allowed for iat/exp when Options.Leeway is zero.
const DefaultLeeway = 60 * time.Second

// DefaultStreamDelay is the pause between streamed chat events when
// Options.StreamDelay is zero.
const DefaultStreamDelay = 20 * time.Millisecond

// Defaults of the user-delegated grants' Options.
const (
	DefaultUser           = "7310000000000000001"
	DefaultCodeTTL        = 10 * time.Minute
	DefaultRefreshTTL     = 30 * 24 * time.Hour
	DefaultDeviceCodeTTL  = 300 * time.Second
	DefaultDeviceInterval = 5 * time.Second
)

// Server is a fake Coze API server. It implements http.Handler and is safe for
// concurrent use. Create it with New.
type Server struct {
	region   string
	audience string
	audExtra []string
	now      func() time.Time
	leeway   time.Duration
	tokenKey []byte // HMAC key for access tokens, random per Server

	streamDelay  time.Duration
	streamEvents int
	maxUpload    int64 // MaxUploadBytes; lowered by internal tests
	onEvent      atomic.Pointer[func(name string, at time.Time)]

	wwwBase        string
	codeTTL        time.Duration
	refreshTTL     time.Duration
	deviceTTL      time.Duration
	deviceInterval time.Duration

	mu         sync.Mutex
	apps       map[string]bool
	appOpts    map[string]AppOptions
	keys       map[string]appKey // kid -> key
	pats       map[string]pat    // personal access token -> its user and expiry
	clients    map[string]*client
	approve    string
	user       string
	consents   expiring[*consent]    // consent id -> pending consent page
	codes      expiring[*authCode]   // authorization code -> what it grants
	devices    expiring[*deviceAuth] // device_code -> its state
	userCodes  expiring[*deviceAuth] // normalised user code -> its device code
	refreshes  expiring[*refreshRec] // refresh token -> its grant
	doubles    int                   // refresh tokens presented more than once
	byGrant    map[string]int        // successful mints per grant_type
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
	convs      convStore // conversations, messages and chats (convstore.go)

	resState resources // bots, workspaces, files, workflows, datasets, voices
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
	approve, err := ParseApprove(opts.Approve)
	if err != nil {
		panic("emulator: " + err.Error())
	}
	interval := cmp.Or(opts.DeviceInterval, DefaultDeviceInterval)
	if interval < 0 {
		interval = 0
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails (Go 1.24+)
	return &Server{
		region:   region,
		audience: aud,
		audExtra: slices.Clone(opts.Audiences),
		now:      now,
		leeway:   leeway,
		tokenKey: key,

		streamDelay:  delay,
		streamEvents: max(opts.StreamEvents, 0),
		maxUpload:    MaxUploadBytes,

		wwwBase:        strings.TrimSuffix(opts.WWWBase, "/"),
		codeTTL:        positive(opts.CodeTTL, DefaultCodeTTL),
		refreshTTL:     positive(opts.RefreshTTL, DefaultRefreshTTL),
		deviceTTL:      positive(opts.DeviceCodeTTL, DefaultDeviceCodeTTL),
		deviceInterval: interval,

		apps:      make(map[string]bool),
		appOpts:   make(map[string]AppOptions),
		keys:      make(map[string]appKey),
		pats:      make(map[string]pat),
		mintsBy:   make(map[mintKey]int),
		clients:   make(map[string]*client),
		approve:   approve,
		user:      cmp.Or(opts.User, DefaultUser),
		consents:  expiring[*consent]{limit: maxPending},
		codes:     expiring[*authCode]{limit: maxPending},
		devices:   expiring[*deviceAuth]{limit: maxPending},
		userCodes: expiring[*deviceAuth]{limit: maxPending},
		refreshes: expiring[*refreshRec]{limit: maxRefreshCount},
		byGrant:   make(map[string]int),
	}
}

// Region reports the (informational) region this Server emulates.
func (s *Server) Region() string { return s.region }

// Audience reports the region's JWT aud this Server accepts (it also
// accepts Options.Audiences and the host a token request is sent to).
func (s *Server) Audience() string { return s.audience }

// ServeHTTP routes a request to the emulated endpoint, under the first
// queued Fault that selects its path. Every answer carries a fresh
// X-Tt-Logid header and a Date header from the emulator's clock
// (Options.Now), so clients can measure clock skew against it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Tt-Logid", s.newLogID())
	w.Header().Set("Date", s.now().UTC().Format(http.TimeFormat))
	r = withState(r)
	if p := r.URL.Path; !isTokenPath(p) && !strings.HasPrefix(p, "/_emulator/") && s.serveFaulty(w, r, s.route) {
		return
	}
	s.route(w, r)
}

// route passes a request to the handler of its path.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case isTokenPath(path):
		s.serveToken(w, r)
	case path == VerifyPath:
		s.serveVerify(w, r)
	case path == ConsentPath:
		s.serveConsent(w, r)
	case path == "/v1/users/me":
		s.serveUsersMe(w, r)
	case path == "/v3/chat":
		s.serveChat(w, r)
	case isConversationPath(path):
		s.serveConversationAPI(w, r)
	case path == "/v1/files/upload":
		s.serveUpload(w, r)
	case path == "/v1/chat":
		s.serveWebSocket(w, r)
	case path == "/_emulator/stats":
		s.serveStats(w, r)
	case path == FaultsPath:
		s.serveFaults(w, r)
	case s.serveResource(w, r): // resources.go
	default:
		switch endpoint, workspace := oauthEndpoint(path); endpoint {
		case "authorize":
			s.serveAuthorize(w, r, workspace)
		case "device/code":
			s.serveDeviceCode(w, r, workspace)
		default:
			writeAPIError(w, http.StatusNotFound, 4000, "the requested API path does not exist")
		}
	}
}

// oauthEndpoint recognises /api/permission/oauth2/{authorize,device/code}
// and their workspace variants /api/permission/oauth2/workspace_id/{id}/...,
// answering the endpoint's name and the workspace id ("" for none).
func oauthEndpoint(path string) (endpoint, workspace string) {
	rest, ok := strings.CutPrefix(path, "/api/permission/oauth2/")
	if !ok {
		return "", ""
	}
	if after, ok := strings.CutPrefix(rest, "workspace_id/"); ok {
		id, tail, ok := strings.Cut(after, "/")
		if !ok || id == "" {
			return "", ""
		}
		workspace, rest = id, tail
	}
	if rest == "authorize" || rest == "device/code" {
		return rest, workspace
	}
	return "", ""
}

// positive is d, or def when d is zero or negative.
func positive(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
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
