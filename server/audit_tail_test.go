package server

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/internal/logwriter"
)

// The audit line of a cache hit reuses the attributes rendered for the
// same token and caller (auditTail). Callers taking turns on one session
// each get their own address on their lines, another session its own
// name, and a reload that turns on session hashing changes the very next
// line — written exactly as slog would write it.
func TestAuditLinesOfHitsStayExact(t *testing.T) {
	f := newFixture(t)
	var out bytes.Buffer
	w := logwriter.New(&out, logwriter.Options{})
	s := mustNew(t, f.cfg, f.b, Options{Log: f.logger, Audit: slog.New(logwriter.NewHandler(w, false)).With("log", "audit")})
	ask := func(ip, session string) {
		t.Helper()
		req := httptest.NewRequest("POST", "/token", nil)
		req.RemoteAddr = ip + ":4000"
		req.Header.Set("X-User-ID", session)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s %s: status %d %s", ip, session, rec.Code, rec.Body)
		}
	}
	type want struct{ ip, session, source string }
	var wants []want
	for i := range 3 {
		for _, ip := range []string{"127.0.0.1", "127.0.0.2"} {
			ask(ip, "alice")
			source := "hit"
			if i == 0 && ip == "127.0.0.1" {
				source = "mint"
			}
			wants = append(wants, want{ip, "alice", source})
		}
	}
	ask("127.0.0.1", "bob")
	ask("127.0.0.1", "bob")
	ask("127.0.0.1", "alice") // the caller asking again right after the reload
	wants = append(wants, want{"127.0.0.1", "bob", "mint"}, want{"127.0.0.1", "bob", "hit"}, want{"127.0.0.1", "alice", "hit"})

	cfg := *f.cfg
	cfg.Access.Audit = config.Audit{HashSessions: true, SessionKey: bytes.Repeat([]byte{7}, 32)}
	if err := s.Reload(&cfg); err != nil {
		t.Fatal(err)
	}
	ask("127.0.0.1", "alice")
	hashed := s.sessionAttr("alice").Value.String()
	if !strings.HasPrefix(hashed, "hmac:") {
		t.Fatalf("session attribute after the reload: %q", hashed)
	}
	wants = append(wants, want{"127.0.0.1", hashed, "hit"})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	var tokenLines []string
	for _, l := range lines {
		if strings.Contains(l, " msg=token ") {
			tokenLines = append(tokenLines, l)
		}
	}
	if len(tokenLines) != len(wants) {
		t.Fatalf("%d token lines, want %d:\n%s", len(tokenLines), len(wants), out.String())
	}
	for i, l := range tokenLines {
		wt := wants[i]
		// What slog itself writes for these attributes, after the time.
		var ref bytes.Buffer
		slog.New(slog.NewTextHandler(&ref, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}})).With("log", "audit").Info("token", "client", "", "policy", "", "ip", wt.ip, "app", "good", "session", wt.session,
			"scope", "", "duration", 900, "expires", "EXP", "source", wt.source)
		got := l[strings.Index(l, " level="):]
		got = got[:strings.Index(got, " expires=")+len(" expires=")] + "EXP" + got[strings.Index(got, " source="):]
		if want := " " + strings.TrimSuffix(ref.String(), "\n"); got != want {
			t.Errorf("line %d:\n got %s\nwant %s", i, got, want)
		}
	}
}
