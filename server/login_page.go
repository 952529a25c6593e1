package server

import (
	"context"
	"html/template"
	"log/slog"
	"net/http"
)

// loginPageTmpl is the small page a browser sees at the end of a login, or
// when one is refused. It never shows a token, a code or a secret.
var loginPageTmpl = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}} · cozeauth</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2129}main{max-width:32rem;margin:4rem auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002}h1{font-size:1.3rem;margin-top:0}dt{font-weight:600}dd{margin:0 0 .5rem}</style>
</head><body><main>
<h1 id="result" data-result="{{.Result}}">{{.Title}}</h1>
<p>{{.Text}}</p>
{{if .Facts}}<dl>{{range .Facts}}<dt>{{.Name}}</dt><dd>{{.Value}}</dd>{{end}}</dl>{{end}}
</main></body></html>`))

type pageFact struct{ Name, Value string }

type pageData struct {
	Title, Text, Result string
	Facts               []pageFact
}

// loginPage answers with the page, status, and headers that keep it out
// of caches and frames.
func loginPage(w http.ResponseWriter, status int, title, text string, facts ...pageFact) {
	result := "error"
	if status < 300 {
		result = "connected"
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	if status >= 400 {
		h.Set(ErrorHeader, "login_failed")
	}
	w.WriteHeader(status)
	_ = loginPageTmpl.Execute(w, pageData{Title: title, Text: text, Result: result, Facts: facts})
}

// auditLogin writes the "login" audit line: app, subject and what
// happened (link, connected, denied, refused, failed), never a code or a
// token.
func (s *Server) auditLogin(r *http.Request, app, subject, result, client string) {
	if s.auditLog == nil {
		return
	}
	s.auditLoginIP(clientIP(r, s.access.Load().trustProxy), app, subject, result, client)
}

// auditLoginIP is auditLogin for a caller at ip, after its request ended.
func (s *Server) auditLoginIP(ip, app, subject, result, client string) {
	if s.auditLog == nil {
		return
	}
	s.auditLog.LogAttrs(context.Background(), slog.LevelInfo, "login",
		slog.String("app", app), s.sessionAttr(subject), slog.String("result", result),
		slog.String("client", client), slog.String("ip", ip))
}
