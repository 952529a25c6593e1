package coze_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

// spend is a request that spends a one-time credential, and its twin that
// may be repeated: the same POST, marked idempotent.
var spends = []struct {
	name string
	call func(c *coze.Client, tokenURL string) (*coze.Token, error)
}{
	{"refresh", func(c *coze.Client, u string) (*coze.Token, error) {
		return c.RefreshToken(context.Background(), coze.RefreshRequest{TokenURL: u, ClientID: "44", RefreshToken: "rt_once"})
	}},
	{"code", func(c *coze.Client, u string) (*coze.Token, error) {
		return c.CodeToken(context.Background(), coze.CodeRequest{TokenURL: u, ClientID: "43", Code: "code_once", RedirectURI: redirectURI, CodeVerifier: pkceVerifier})
	}},
}

func idempotentCall(c *coze.Client, u string) (*coze.Token, error) {
	return c.DeviceToken(context.Background(), coze.DeviceTokenRequest{TokenURL: u, ClientID: "45", DeviceCode: "dc_1"})
}

// TestSpendingRequestNotResentAfterTimeout: Coze receives a refresh (or a
// code) and its answer is slower than the client waits. The request must
// not be sent again: Coze may have rotated the refresh token already, and a
// second redemption would be refused and lose the grant.
func TestSpendingRequestNotResentAfterTimeout(t *testing.T) {
	for _, sp := range spends {
		t.Run(sp.name, func(t *testing.T) {
			release := make(chan struct{})
			var n atomic.Int32
			rec, srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) == 1 {
					<-release // Coze has the request; the answer is late
				}
				tokenAnswer(w, r)
			})
			defer close(release)
			c := fastClient(3)
			c.Timeout = 150 * time.Millisecond
			_, err := sp.call(c, coze.TokenURL(srv.URL, "", ""))
			var ue *coze.UnreachableError
			if !errors.As(err, &ue) || !ue.Timeout || ue.NotSent {
				t.Fatalf("error = %#v, want *coze.UnreachableError with Timeout and not NotSent", err)
			}
			if got := len(rec.requests()); got != 1 {
				t.Fatalf("Coze received the request %d times, want once", got)
			}
		})
	}
	// The premise: the same server, an idempotent request, is tried again.
	release := make(chan struct{})
	var n atomic.Int32
	rec, srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			<-release
		}
		tokenAnswer(w, r)
	})
	defer close(release)
	c := fastClient(3)
	c.Timeout = 150 * time.Millisecond
	if _, err := idempotentCall(c, coze.TokenURL(srv.URL, "", "")); err != nil {
		t.Fatalf("idempotent request after one timeout: %v", err)
	}
	if got := len(rec.requests()); got != 2 {
		t.Errorf("idempotent request sent %d times, want 2", got)
	}
}

// TestSpendingRequestNotResentAfterAnswerOrDrop: neither a 5xx, a 429 nor
// a connection dropped after the request went out is a reason to spend
// the credential again.
func TestSpendingRequestNotResentAfterAnswerOrDrop(t *testing.T) {
	faults := []struct {
		name  string
		fault func(w http.ResponseWriter)
		check func(t *testing.T, err error)
	}{
		{"503", func(w http.ResponseWriter) { http.Error(w, `{"error_code":"internal_error"}`, 503) }, func(t *testing.T, err error) {
			if ce, ok := coze.AsError(err); !ok || ce.Status != 503 || !ce.Temporary() || !coze.IsTemporary(err) || coze.IsDeadGrant(err) {
				t.Errorf("error = %v, want Coze's temporary 503, not a dead grant", err)
			}
		}},
		{"429", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "0")
			http.Error(w, `{"error_code":"too_many_requests"}`, 429)
		}, nil},
		{"dropped", func(w http.ResponseWriter) {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}, func(t *testing.T, err error) {
			var ue *coze.UnreachableError
			if !errors.As(err, &ue) || ue.NotSent || !coze.IsTemporary(err) {
				t.Errorf("error = %#v, want *coze.UnreachableError that may have been sent", err)
			}
		}},
	}
	for _, sp := range spends {
		for _, f := range faults {
			t.Run(sp.name+" "+f.name, func(t *testing.T) {
				var n atomic.Int32
				rec, srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
					if n.Add(1) == 1 {
						f.fault(w)
						return
					}
					tokenAnswer(w, r)
				})
				_, err := sp.call(fastClient(3), coze.TokenURL(srv.URL, "", ""))
				if err == nil {
					t.Fatal("succeeded: the request was sent again")
				}
				if got := len(rec.requests()); got != 1 {
					t.Fatalf("Coze received the request %d times, want once", got)
				}
				if f.check != nil {
					f.check(t, err)
				}
			})
		}
	}
}

// failingDialer fails its first dials with err, then dials for real.
type failingDialer struct {
	fails atomic.Int32
	dials atomic.Int32
	err   func(addr string) error
}

func (d *failingDialer) client() *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		d.dials.Add(1)
		if d.fails.Add(-1) >= 0 {
			return nil, d.err(addr)
		}
		var nd net.Dialer
		return nd.DialContext(ctx, network, addr)
	}}}
}

// TestSpendingRequestResentWhenNeverSent: a failure to connect at all
// proves the request never left; it is tried again, even a refresh.
func TestSpendingRequestResentWhenNeverSent(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := closed.Addr().String()
	closed.Close()
	causes := []struct {
		name string
		err  func(addr string) error
	}{
		{"connection refused", func(string) error {
			var nd net.Dialer
			_, err := nd.Dial("tcp", refused)
			return err
		}},
		{"DNS failure", func(string) error {
			return &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "api.coze.invalid", IsNotFound: true}}
		}},
	}
	for _, sp := range spends {
		for _, cause := range causes {
			t.Run(sp.name+" "+cause.name, func(t *testing.T) {
				rec, srv := newRecorder(t, tokenAnswer)
				d := &failingDialer{err: cause.err}
				d.fails.Store(2)
				c := fastClient(3)
				c.HTTP = d.client()
				tok, err := sp.call(c, coze.TokenURL(srv.URL, "", ""))
				if err != nil {
					t.Fatalf("after two failed dials: %v", err)
				}
				if tok.RefreshToken != "rt_rotated" || d.dials.Load() != 3 || len(rec.requests()) != 1 {
					t.Errorf("token %+v, %d dials, %d requests; want the token, 3 dials, 1 request", tok, d.dials.Load(), len(rec.requests()))
				}
			})
		}
	}
	t.Run("never connects", func(t *testing.T) {
		d := &failingDialer{err: causes[0].err}
		d.fails.Store(100)
		c := fastClient(3)
		c.HTTP = d.client()
		_, err := spends[0].call(c, "http://api.coze.test/api/permission/oauth2/token")
		var ue *coze.UnreachableError
		if !errors.As(err, &ue) || !ue.NotSent || ue.Timeout {
			t.Fatalf("error = %#v, want *coze.UnreachableError with NotSent", err)
		}
		if d.dials.Load() != 3 {
			t.Errorf("%d dials, want the 3 attempts", d.dials.Load())
		}
	})
}

// TestSpentGrantKeptFromMalformedAnswer: Coze redeemed the refresh token
// and answered 200 with a new one, but the access token's expiry cannot be
// believed here (a wrong clock). The error must come with the new refresh
// token, or the grant is lost; an idempotent exchange gets no such token.
func TestSpentGrantKeptFromMalformedAnswer(t *testing.T) {
	_, srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"access_token":"czs_x","expires_in":%d,"refresh_token":"rt_rotated"}`, time.Now().Add(-time.Hour).Unix())
	})
	tok, err := spends[0].call(fastClient(3), coze.TokenURL(srv.URL, "", ""))
	ce, ok := coze.AsError(err)
	if !ok || ce.Code != "malformed_response" {
		t.Fatalf("error = %v, want malformed_response", err)
	}
	if tok == nil || tok.RefreshToken != "rt_rotated" || tok.AccessToken != "" || tok.Valid(time.Now(), 0) {
		t.Fatalf("token = %+v, want only the rotated refresh token", tok)
	}
	if strings.Contains(err.Error(), "rt_rotated") {
		t.Errorf("error %q carries the refresh token", err)
	}
	if tok, err := idempotentCall(fastClient(1), coze.TokenURL(srv.URL, "", "")); tok != nil || err == nil {
		t.Errorf("idempotent exchange = %+v, %v; want no token", tok, err)
	}
	// A refresh token that could not be sent again is not handed on.
	_, bad := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"access_token":"czs_x","refresh_token":"rt bad"}`)
	})
	if tok, err := spends[0].call(fastClient(3), coze.TokenURL(bad.URL, "", "")); tok != nil || err == nil {
		t.Errorf("malformed refresh token: %+v, %v; want no token", tok, err)
	}
}

// TestTokenRequestsFollowNoRedirect: a redirect from the token endpoint
// would carry the code or refresh token to another host; it is an error.
func TestTokenRequestsFollowNoRedirect(t *testing.T) {
	elsewhere, other := newRecorder(t, tokenAnswer)
	_, srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/steal", http.StatusTemporaryRedirect)
	})
	for _, sp := range spends {
		_, err := sp.call(fastClient(3), coze.TokenURL(srv.URL, "", ""))
		if ce, ok := coze.AsError(err); !ok || ce.Status != http.StatusTemporaryRedirect {
			t.Errorf("%s: error = %v, want the 307 as Coze's answer", sp.name, err)
		}
	}
	if n := len(elsewhere.requests()); n != 0 {
		t.Errorf("the redirect target got %d requests", n)
	}
}
