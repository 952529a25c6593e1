package server

import (
	_ "embed"
	"net/http"
)

// DemoChatPath is the demo chat page (Options.DemoChat, `serve --demo`):
// it loads /client.js, holds 60-second tokens that count down and
// refresh by themselves, and streams a conversation with the emulator
// through the gateway.
const DemoChatPath = "/demo/chat"

//go:embed assets/demochat.html
var demoChatHTML []byte

func (s *Server) handleDemoChat(w http.ResponseWriter, r *http.Request) {
	if d := s.checkHost(r, s.access.Load()); d != nil {
		s.deny(w, r, nil, d)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	_, _ = w.Write(demoChatHTML)
}

// routeBrowser adds the routes for browsers: /client.js, its versioned
// URL, the user script, and with o.DemoChat the demo chat page.
func (s *Server) routeBrowser(o Options) {
	s.mux.HandleFunc("GET "+ClientJSPath, s.handleClientJS)
	s.mux.HandleFunc("GET "+clientJSDir+"{file}", s.handleClientJSVersion)
	s.mux.HandleFunc("GET "+UserScriptPath, s.handleUserScript)
	if o.DemoChat {
		s.mux.HandleFunc("GET "+DemoChatPath, s.handleDemoChat)
	}
}
