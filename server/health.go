package server

import (
	"encoding/json"
	"net/http"
	"time"
)

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
}

type appReady struct {
	Region    string     `json:"region,omitempty"`
	APIBase   string     `json:"api_base"`
	LastMint  *time.Time `json:"last_mint,omitempty"`
	LastError string     `json:"last_error,omitempty"`
	ErrorAt   *time.Time `json:"error_at,omitempty"`
}

// handleReady reports the configuration loaded and each app's last mint.
// It answers 200 while any app can be served: an app whose last mint
// failed is reported, not a reason to take the replica out.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	status := s.broker.Status()
	apps := make(map[string]appReady, len(s.conf().Apps))
	for _, a := range s.conf().Apps {
		st := status[a.Name]
		ar := appReady{Region: string(a.Region), APIBase: a.APIBase, LastError: st.LastError}
		if !st.LastMint.IsZero() {
			t := st.LastMint.UTC()
			ar.LastMint = &t
		}
		if st.LastError != "" {
			t := st.ErrorAt.UTC()
			ar.ErrorAt = &t
		}
		apps[a.Name] = ar
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{"status": "ready", "config": s.conf().Source, "apps": apps})
}
