package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/grant"
)

// ConnectStatusPath answers how a device login started by POST /connect
// is going.
const ConnectStatusPath = "/connect/status"

// Bounds of device logins run by the server.
const (
	// MaxDeviceLogins caps the device logins polling Coze at once (each
	// polls every few seconds until approved or expired); POST /connect
	// answers 503 beyond it.
	MaxDeviceLogins = 64
	// maxDeviceWait caps how long one device login polls, whatever
	// lifetime Coze gives its code.
	maxDeviceWait = 30 * time.Minute
	// deviceKeep is how long a finished device login's outcome can still
	// be read at ConnectStatusPath.
	deviceKeep = 10 * time.Minute
	// maxDeviceRecords caps the device logins remembered, pending and
	// finished together.
	maxDeviceRecords = 16 * MaxDeviceLogins
)

// States of a device login, as ConnectStatusPath names them.
const (
	devicePending   = "pending"   // waiting for the person to approve
	deviceConnected = "connected" // approved; the grant is stored
	deviceDenied    = "denied"    // declined on Coze's page
	deviceExpired   = "expired"   // the code lapsed before approval
	deviceFailed    = "failed"    // Coze or the store failed; see reason
)

// deviceAnswer is POST /connect's answer for a device app: what to show
// the person, and where to follow the login.
type deviceAnswer struct {
	VerificationURL string `json:"verification_url"` // Coze's page with the code filled in
	VerificationURI string `json:"verification_uri"` // the page without it
	UserCode        string `json:"user_code"`
	ExpiresAt       int64  `json:"expires_at"`
	Interval        int    `json:"interval"`
	ID              string `json:"id"`
	StatusURL       string `json:"status_url"` // ConnectStatusPath?t=ID, relative to this server
}

// deviceStatus is ConnectStatusPath's answer.
type deviceStatus struct {
	State     string `json:"state"`
	App       string `json:"app"`
	Subject   string `json:"subject"`
	Account   string `json:"account,omitempty"` // the Coze account connected, once known
	ExpiresAt int64  `json:"expires_at"`        // when the code lapses
	Reason    string `json:"reason,omitempty"`
}

// deviceLogin is one device login the server runs.
type deviceLogin struct {
	req     broker.Request
	status  deviceStatus
	expires time.Time // when the record may be forgotten
}

// deviceTable holds the device logins, bounded.
type deviceTable struct {
	mu     sync.Mutex
	logins map[string]*deviceLogin
}

// add reserves a record for req; false when MaxDeviceLogins are pending.
func (t *deviceTable) add(req broker.Request, now time.Time) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.logins == nil {
		t.logins = map[string]*deviceLogin{}
	}
	pending := 0
	for id, d := range t.logins {
		switch {
		case !now.Before(d.expires):
			delete(t.logins, id)
		case d.status.State == devicePending:
			pending++
		}
	}
	if pending >= MaxDeviceLogins || len(t.logins) >= maxDeviceRecords {
		return "", false
	}
	id := randomID()
	t.logins[id] = &deviceLogin{req: req, expires: now.Add(maxDeviceWait + deviceKeep),
		status: deviceStatus{State: devicePending, App: req.App, Subject: req.Session}}
	return id, true
}

// update changes a record's status under the lock.
func (t *deviceTable) update(id string, f func(*deviceStatus)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if d := t.logins[id]; d != nil {
		f(&d.status)
	}
}

// drop forgets a login that never started.
func (t *deviceTable) drop(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.logins, id)
}

// finish records a login's outcome, kept for deviceKeep.
func (t *deviceTable) finish(id, state, reason, account string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if d := t.logins[id]; d != nil {
		d.status.State, d.status.Reason, d.status.Account = state, reason, account
		d.expires = now.Add(deviceKeep)
	}
}

func (t *deviceTable) get(id string, now time.Time) (deviceStatus, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	d := t.logins[id]
	if d == nil || !now.Before(d.expires) {
		return deviceStatus{}, false
	}
	return d.status, true
}

// startDeviceLogin answers POST /connect for a device app: it asks Coze for
// a device code, answers what the person must open and type, and polls
// Coze in the background until the person approves (the grant is stored,
// as after a browser login), declines, or the code lapses. The caller
// follows it at ConnectStatusPath.
func (s *Server) startDeviceLogin(w http.ResponseWriter, r *http.Request, client string, req broker.Request, app *config.App) {
	now := time.Now()
	id, ok := s.devices.add(req, now)
	if !ok {
		w.Header().Set("Retry-After", "60")
		writeError(w, http.StatusServiceUnavailable, "too_many_logins", "too many device logins are under way; retry in a minute", nil)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), codeExchangeTimeout)
	d, err := s.cozeClient.DeviceCode(ctx, coze.DeviceCodeRequest{APIBase: app.APIBase, ClientID: app.ClientID, WorkspaceID: app.WorkspaceID()})
	cancel()
	if err != nil {
		s.devices.drop(id) // the caller learns why from this answer
		s.log.Warn("login: device code request failed", "app", app.Name, "err", err)
		s.auditLogin(r, req.App, req.Session, "device_code_failed", client)
		writeError(w, http.StatusBadGateway, "coze_error", "Coze did not give a device code for app "+app.Name+": "+err.Error(), nil)
		return
	}
	s.devices.update(id, func(st *deviceStatus) { st.ExpiresAt = d.ExpiresAt.Unix() })
	if !s.shareDevice(r.Context(), id, maxDeviceWait+deviceKeep) {
		writeError(w, http.StatusServiceUnavailable, "store_unavailable", "the shared store (Redis) did not answer, so other replicas could not follow this login; retry shortly", nil)
		s.devices.drop(id)
		return
	}
	ip := clientIP(r, s.access.Load().trustProxy)
	go s.pollDeviceLogin(id, *app, d, req, client, ip)
	s.auditLogin(r, req.App, req.Session, "device_code", client)
	h := w.Header()
	h["Content-Type"] = jsonCT
	h["Cache-Control"] = noStore
	_ = json.NewEncoder(w).Encode(deviceAnswer{
		VerificationURL: d.VerificationURL(), VerificationURI: d.VerificationURI, UserCode: d.UserCode,
		ExpiresAt: d.ExpiresAt.Unix(), Interval: int(d.Interval / time.Second), ID: id,
		StatusURL: ConnectStatusPath + "?" + url.Values{"t": {id}}.Encode(),
	})
}

// pollDeviceLogin waits for the person's answer and stores the grant.
// It ends by the code's expiry (at most maxDeviceWait).
func (s *Server) pollDeviceLogin(id string, app config.App, d *coze.DeviceAuthorization, req broker.Request, client, ip string) {
	deadline := time.Now().Add(maxDeviceWait)
	if !d.ExpiresAt.IsZero() && d.ExpiresAt.Before(deadline) {
		deadline = d.ExpiresAt.Add(5 * time.Second)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	tok, err := s.cozeClient.PollDevice(ctx, coze.DevicePoll{TokenURL: app.TokenURL(), ClientID: app.ClientID, Device: d})
	state, reason := deviceConnected, ""
	switch {
	case coze.IsAccessDenied(err):
		state, reason = deviceDenied, "the login was declined on Coze's page"
	case coze.IsExpiredToken(err) || ctx.Err() != nil:
		state, reason = deviceExpired, "the code expired before it was approved"
	case err != nil:
		state, reason = deviceFailed, "Coze could not be asked for the grant"
		s.log.Warn("login: device poll failed", "app", app.Name, "err", err)
	case tok.RefreshToken == "":
		state, reason = deviceFailed, "Coze answered without a refresh token"
	}
	account := ""
	if state == deviceConnected {
		account = s.accountOf(context.Background(), &app, tok.AccessToken)
		now := time.Now().UTC()
		g := &grant.Grant{App: req.App, Subject: req.Session, RefreshToken: tok.RefreshToken, State: grant.Active,
			CreatedAt: now, RefreshedAt: now, User: account}
		if err := s.grants.Put(context.Background(), g); err != nil {
			s.log.Error("login: storing the grant", "app", app.Name, "err", err)
			state, reason = deviceFailed, "the server could not save the grant"
		} else {
			s.broker.DropSession(req.App, req.Session)
		}
	}
	s.devices.finish(id, state, reason, account, time.Now())
	if !s.shareDevice(context.Background(), id, deviceKeep) {
		s.log.Warn("login: the shared store did not take a device login's outcome; other replicas show it as pending until it lapses", "app", app.Name)
	}
	s.auditLoginIP(ip, req.App, req.Session, state, client)
}

// shareDevice publishes the status of device login id for the other
// replicas' ConnectStatusPath, for as long as this one keeps it (keep);
// true without shared logins.
func (s *Server) shareDevice(ctx context.Context, id string, keep time.Duration) bool {
	if s.sharedLogins == nil {
		return true
	}
	st, ok := s.devices.get(id, time.Now())
	if !ok {
		return true
	}
	b, err := json.Marshal(st)
	return err == nil && s.sharedLogins.Put(ctx, "device:"+id, b, keep) == nil
}

// handleConnectStatus answers GET /connect/status?t=ID: the state of a
// device login. The id, handed only to the caller who started the login,
// is the credential (256 random bits); the answer holds no secret.
func (s *Server) handleConnectStatus(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("t")
	st, ok := s.devices.get(id, time.Now())
	if !ok && s.sharedLogins != nil && id != "" && len(id) <= 64 {
		// Another replica runs it.
		b, _, err := s.sharedLogins.Get(r.Context(), "device:"+id)
		if err != nil {
			w.Header().Set("Retry-After", "5")
			writeError(w, http.StatusServiceUnavailable, "store_unavailable", "the shared store (Redis) did not answer; retry shortly", nil)
			return
		}
		ok = b != nil && json.Unmarshal(b, &st) == nil
	}
	if !ok {
		writeError(w, http.StatusNotFound, "unknown_login", "no device login with this id (it finished more than 10 minutes ago, or the server restarted): start a new one with POST /connect", nil)
		return
	}
	h := w.Header()
	h["Content-Type"] = jsonCT
	h["Cache-Control"] = noStore
	_ = json.NewEncoder(w).Encode(st)
}
