package server

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/cozeauth/cozeauth/grant"
	"github.com/cozeauth/cozeauth/policy"
)

// AdminGrantsPath lists (GET) and revokes (DELETE ?app=&subject=) the
// grants of a running server, whose store no other process may open.
// Like /readyz details, it answers only a caller on this machine or a
// client listed under admin_clients, with its key. Never a token.
const AdminGrantsPath = "/admin/grants"

// admin admits a caller of an admin route, or answers the refusal.
func (s *Server) admin(w http.ResponseWriter, r *http.Request) (*caller, bool) {
	c, ok, d := s.readyDetail(r)
	if d == nil && !ok {
		d = &policy.Denied{Status: http.StatusForbidden, Code: "not_admin",
			Msg: "the grants of a running server are for a caller on this machine, or a client listed under admin_clients with its key"}
	}
	if d != nil {
		s.deny(w, r, c, d)
		return nil, false
	}
	if s.grants == nil {
		writeError(w, http.StatusServiceUnavailable, "no_grant_store", "this server keeps no grants: it has no web, PKCE or device app", nil)
		return nil, false
	}
	return c, true
}

func (s *Server) handleGrantsList(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.admin(w, r); !ok {
		return
	}
	ms, err := s.grants.List(r.Context(), r.URL.Query().Get("app"))
	if err != nil {
		s.log.Error("listing grants", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "the grant store could not be read; see the server log", nil)
		return
	}
	if ms == nil {
		ms = []grant.Meta{}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{"grants": ms})
}

func (s *Server) handleGrantsRevoke(w http.ResponseWriter, r *http.Request) {
	c, ok := s.admin(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	app, subject := q.Get("app"), q.Get("subject")
	if app == "" || subject == "" {
		writeError(w, http.StatusBadRequest, "bad_request", "name the grant: ?app=NAME&subject=SUBJECT", nil)
		return
	}
	err := s.grants.Delete(r.Context(), app, subject)
	switch {
	case errors.Is(err, grant.ErrNotFound):
		writeError(w, http.StatusNotFound, "no_grant", "no grant of app "+app+" for "+subject, nil)
		return
	case err != nil:
		s.log.Error("revoking a grant", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "the grant store could not be written; see the server log", nil)
		return
	}
	dropped := s.broker.DropSession(app, subject)
	if s.auditLog != nil {
		s.auditLog.LogAttrs(r.Context(), slog.LevelInfo, "grant_revoked", slog.String("client", c.client), slog.String("ip", c.ip),
			slog.String("app", app), s.sessionAttr(subject), slog.Int("tokens_dropped", dropped))
	}
	w.WriteHeader(http.StatusNoContent)
}
