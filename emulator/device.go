package emulator

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// VerifyPath is the device flow's verification page (a www page, served by
// the emulator itself): verification_uri?user_code=XXXX-XXXX.
const VerifyPath = "/api/permission/oauth2/device/verify"

// slowDownStep is what a slow_down adds to a device code's interval.
const slowDownStep = 5 * time.Second

// Device code states.
const (
	devicePending = iota
	deviceApproved
	deviceDenied
	deviceRedeemed
)

// deviceAuth is an issued device code.
type deviceAuth struct {
	clientID  string
	workspace string
	userCode  string // XXXX-XXXX
	expires   time.Time
	interval  time.Duration // grows by slowDownStep on each slow_down
	lastPoll  time.Time     // zero before the first poll
	state     int
	user      string // who approved
}

func (d *deviceAuth) lapsed(now time.Time) bool { return !now.Before(d.expires) }

// serveDeviceCode answers POST /api/permission/oauth2/device/code (and its
// workspace variant) with {"client_id"} for a device app.
func (s *Server) serveDeviceCode(w http.ResponseWriter, r *http.Request, workspace string) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeOAuthError(w, newOAuthErr(http.StatusMethodNotAllowed, "invalid_request", "method not allowed: use POST"))
		return
	}
	fields, e := readJSONObject(w, r)
	if e == nil && len(workspace) > maxWorkspaceBytes {
		e = invalidRequest("invalid request: the workspace id in the path is too long")
	}
	var clientID string
	if e == nil && (json.Unmarshal(fields["client_id"], &clientID) != nil || clientID == "") {
		e = invalidRequest("invalid request: client_id is required and must be a string")
	}
	if e == nil {
		_, e = s.clientFor(clientID, "the device code flow", kindDevice)
	}
	if e != nil {
		writeOAuthError(w, e)
		return
	}
	now := s.now()
	d := &deviceAuth{clientID: clientID, workspace: workspace,
		expires: now.Add(s.deviceTTL), interval: s.deviceInterval}
	deviceCode := newSecret()
	s.mu.Lock()
	for taken := true; taken; { // user codes are unique among live ones
		d.userCode = newUserCode()
		_, taken = s.userCodes.get(normUserCode(d.userCode))
	}
	ok := s.userCodes.put(normUserCode(d.userCode), d, now) && s.devices.put(deviceCode, d, now)
	if !ok {
		s.userCodes.del(normUserCode(d.userCode))
	}
	s.mu.Unlock()
	if !ok {
		writeOAuthError(w, newOAuthErr(http.StatusServiceUnavailable, "internal_error",
			"emulator: too many device codes outstanding; try again later"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"device_code":      deviceCode,
		"user_code":        d.userCode,
		"verification_uri": s.wwwBaseFor(r) + VerifyPath,
		"expires_in":       int64(s.deviceTTL / time.Second),
		"interval":         int64((s.deviceInterval + time.Second - 1) / time.Second),
	})
}

// wwwBaseFor is Options.WWWBase, or the scheme and Host r came to.
func (s *Server) wwwBaseFor(r *http.Request) string {
	if s.wwwBase != "" {
		return s.wwwBase
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// userCodeChars are unambiguous consonants (RFC 8628 section 6.1).
const userCodeChars = "BCDFGHJKLMNPQRSTVWXZ"

// newUserCode returns a random XXXX-XXXX user code.
func newUserCode() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	out := make([]byte, 0, 9)
	for i, x := range b {
		if i == 4 {
			out = append(out, '-')
		}
		out = append(out, userCodeChars[int(x)%len(userCodeChars)])
	}
	return string(out)
}

// normUserCode folds case and drops dashes and spaces, so "wdjb mjht"
// finds WDJB-MJHT.
func normUserCode(c string) string {
	c = strings.ToUpper(c)
	return strings.NewReplacer("-", "", " ", "").Replace(c)
}

// grantDevice answers one poll of a device code.
func (s *Server) grantDevice(w http.ResponseWriter, req *tokenRequest) *oauthErr {
	c, e := s.clientFor(req.clientID, "the device code flow", kindDevice)
	if e != nil {
		return e
	}
	if req.deviceCode == "" {
		return invalidRequest("invalid request: device_code is required")
	}
	now := s.now()
	s.mu.Lock()
	d, ok := s.devices.get(req.deviceCode)
	e = s.pollLocked(d, ok && d.clientID == c.id, now)
	var g userGrant
	if e == nil {
		d.state = deviceRedeemed
		g = userGrant{grant: GrantDeviceCode, clientID: d.clientID, user: d.user, workspace: d.workspace}
	}
	s.mu.Unlock()
	if e != nil {
		return e
	}
	s.issueUserTokens(w, g, req.duration)
	return nil
}

// pollLocked decides a poll of d (found and of the polling client when ok);
// nil means approved and redeemable. s.mu is held.
func (s *Server) pollLocked(d *deviceAuth, ok bool, now time.Time) *oauthErr {
	switch {
	case !ok:
		return invalidGrant("device_code is invalid: it was not issued to this client_id")
	case d.state == deviceRedeemed:
		return invalidGrant("device_code has already been used: start the device flow again")
	case d.lapsed(now):
		return newOAuthErr(http.StatusBadRequest, "expired_token",
			"device_code has expired: start the device flow again")
	case d.state == deviceDenied:
		return newOAuthErr(http.StatusBadRequest, "access_denied", "the user denied the authorization request")
	}
	last := d.lastPoll
	d.lastPoll = now
	if s.deviceInterval > 0 && !last.IsZero() && now.Sub(last) < d.interval {
		d.interval += slowDownStep
		return newOAuthErr(http.StatusBadRequest, "slow_down", fmt.Sprintf(
			"polling too fast: wait at least %d s between polls", int64(d.interval/time.Second)))
	}
	if d.state == devicePending {
		return newOAuthErr(http.StatusBadRequest, "authorization_pending",
			"the user has not yet approved the request: poll again after the interval")
	}
	return nil
}

// serveVerify answers the verification page: without user_code a form
// asking for it; with one, the approval mode's answer for its device code.
func (s *Server) serveVerify(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeOAuthError(w, newOAuthErr(http.StatusMethodNotAllowed, "invalid_request", "method not allowed: use GET"))
		return
	}
	code := r.URL.Query().Get("user_code")
	if code == "" {
		writePage(w, http.StatusOK, pageUserCode, nil)
		return
	}
	now := s.now()
	s.mu.Lock()
	d, ok := s.userCodes.get(normUserCode(code))
	ok = ok && len(code) <= 32 && !d.lapsed(now) && d.state == devicePending
	var clientID, workspace, userCode string
	if ok {
		clientID, workspace, userCode = d.clientID, d.workspace, d.userCode
	}
	s.mu.Unlock()
	if !ok {
		writeOAuthError(w, invalidRequest(
			"invalid request: user_code is unknown, expired or already answered: start the device flow again"))
		return
	}
	mode, user := s.consentMode()
	switch mode {
	case ApproveAuto:
		s.answerDevice(w, d, true, user)
	case ApproveDeny:
		s.answerDevice(w, d, false, user)
	default:
		s.askConsent(w, r, &consent{device: d, clientID: clientID, workspace: workspace, userCode: userCode})
	}
}

// answerDevice records the person's answer for a pending device code and
// shows the result.
func (s *Server) answerDevice(w http.ResponseWriter, d *deviceAuth, approve bool, user string) {
	now := s.now()
	s.mu.Lock()
	ok := d.state == devicePending && !d.lapsed(now)
	if ok {
		d.state, d.user = deviceDenied, user
		if approve {
			d.state = deviceApproved
		}
	}
	s.mu.Unlock()
	if !ok {
		writeOAuthError(w, invalidRequest(
			"invalid request: the device request expired or was already answered: start the device flow again"))
		return
	}
	writePage(w, http.StatusOK, pageDone, doneData{Approved: approve})
}
