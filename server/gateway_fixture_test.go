package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/credential"
)

// upstream stands in for the Coze API in front of the emulator: token
// requests go to the emulator, API requests to handler, and every API
// request's headers are recorded.
type upstream struct {
	mu      sync.Mutex
	seen    []*http.Request
	handler http.HandlerFunc
}

func (u *upstream) last() *http.Request {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.seen) == 0 {
		return nil
	}
	return u.seen[len(u.seen)-1]
}

func (u *upstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.seen)
}

// gatewayFixture serves the gateway with one app whose API base is an
// upstream; api answers API calls.
func gatewayFixture(t testing.TB, api http.HandlerFunc, o Options) (*fixture, *upstream) {
	t.Helper()
	f := newFixture(t)
	up := &upstream{handler: api}
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/permission/") {
			f.emu.ServeHTTP(w, r)
			return
		}
		up.mu.Lock()
		up.seen = append(up.seen, r.Clone(r.Context()))
		h := up.handler
		up.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(front.Close)
	for i := range f.cfg.Apps {
		f.cfg.Apps[i].APIBase = front.URL
		f.cfg.Apps[i].WSBase = "ws" + strings.TrimPrefix(front.URL, "http")
	}
	app, _ := f.cfg.App("good")
	b := broker.New(map[string]broker.Source{"good": &credential.JWT{Client: testClient(), Signer: app.Signer(), TokenURL: app.TokenURL()}}, broker.Options{})
	t.Cleanup(b.Close)
	f.b = b
	if o.Log == nil {
		o.Log = f.logger
	}
	s := mustNew(t, f.cfg, b, o)
	f.server = s
	f.srv.Close()
	f.srv = httptest.NewServer(s)
	t.Cleanup(f.srv.Close)
	return f, up
}

func okJSON(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Tt-Logid", "logid-123")
	w.Write([]byte(`{"code":0,"msg":"","data":{}}`))
}
