package server

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/cozeauth/cozeauth/policy"
)

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
}

// Per-app readiness.
const (
	appReadyOK  = "ready"
	appNotReady = "not_ready" // the last mint failed
)

type appReady struct {
	Status    string     `json:"status"`
	Region    string     `json:"region,omitempty"`
	APIBase   string     `json:"api_base,omitempty"`
	LastMint  *time.Time `json:"last_mint,omitempty"`
	LastError string     `json:"last_error,omitempty"`
	ErrorAt   *time.Time `json:"error_at,omitempty"`
}

// handleReady reports each app's readiness. It answers 200 while any app
// can be served: an app whose last mint failed is reported, not a reason
// to take the replica out.
//
// Anyone sees only "ready" or "not_ready" per app name. The config
// source, API URLs, mint times and last errors (which may name paths and
// hosts) go only to a caller on this machine (see localCaller) or to a
// client listed under admin_clients, with its key.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	c, detail, d := s.readyDetail(r)
	if d != nil {
		s.deny(w, r, c, d)
		return
	}
	status := s.broker.Status()
	apps := make(map[string]appReady, len(s.conf().Apps))
	for _, a := range s.conf().Apps {
		st := status[a.Name]
		ar := appReady{Status: appReadyOK}
		if st.LastError != "" {
			ar.Status = appNotReady
		}
		if detail {
			ar.Region, ar.APIBase, ar.LastError = string(a.Region), a.APIBase, st.LastError
			if !st.LastMint.IsZero() {
				t := st.LastMint.UTC()
				ar.LastMint = &t
			}
			if st.LastError != "" {
				t := st.ErrorAt.UTC()
				ar.ErrorAt = &t
			}
		}
		apps[a.Name] = ar
	}
	body := map[string]any{"status": "ready", "apps": apps}
	if mode := s.storeMode(); mode != "" {
		// Degraded still answers 200: the replica serves what it holds
		// and mints on its own.
		body["store"] = mode
		if mode == "degraded" {
			body["status"] = "degraded"
		}
	}
	if detail {
		body["config"] = s.conf().Source
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(body)
}

// readyDetail decides whether /readyz may show details: to a local caller,
// or to an admin client's key. A key that is presented must be valid: a
// wrong one is refused rather than silently answered with less.
func (s *Server) readyDetail(r *http.Request) (*caller, bool, *policy.Denied) {
	acc := s.access.Load()
	c := &caller{ip: clientIP(r, acc.trustProxy)}
	cred, d := presentedCredential(r)
	if d != nil {
		return c, false, d
	}
	if !cred.present() || acc.open {
		return c, s.localCaller(r), nil
	}
	c.cred = cred.summary()
	cl, ok := acc.keys.Lookup(cred.key)
	if !ok || s.revoked(cl) {
		return c, false, &policy.Denied{Status: http.StatusUnauthorized, Code: "invalid_client_key",
			Msg: "the client key in the " + cred.header + " header is not valid; /readyz needs no key (details need an admin client's key or a local caller)"}
	}
	c.client = cl.Name
	if !slices.Contains(s.edge().AdminClients, cl.Name) {
		return c, false, &policy.Denied{Status: http.StatusForbidden, Code: "not_admin",
			Msg: "client " + cl.Name + " is not listed under admin_clients: add it there to read /readyz details, or call without a key for the summary"}
	}
	return c, true, nil
}

// localCaller reports whether a request comes from this machine: the
// connection's peer is a loopback address (never an X-Forwarded-For
// claim, even with trust_proxy), no proxy relayed it (no forwarding
// headers: a proxy on the same machine is loopback too), and it is
// addressed to a loopback or allowed host name (a page that rebinds its
// domain to 127.0.0.1 sends its own name).
func (s *Server) localCaller(r *http.Request) bool {
	for _, h := range []string{"X-Forwarded-For", "Forwarded", "X-Real-Ip", "X-Forwarded-Host"} {
		if _, relayed := r.Header[h]; relayed {
			return false
		}
	}
	return loopbackName(peerIP(r)) && s.knownHost(r.Host)
}
