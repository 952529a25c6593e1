package credential

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/emulator"
	"github.com/cozeauth/cozeauth/grant"
)

const (
	webClient = "1180000000001"
	webSecret = "web-secret-for-tests"
	user      = "7310000000000000042"
)

// webRefresh is a Refresh source for a web app registered with a fresh
// emulator, and a grant of alice's holding a refresh token it issued.
func webRefresh(t *testing.T) (*Refresh, *emulator.Server, grant.Store) {
	t.Helper()
	emu := emulator.New(emulator.Options{})
	emu.AddWebApp(webClient, webSecret, "http://127.0.0.1/oauth/callback")
	cz := httptest.NewServer(emu)
	t.Cleanup(cz.Close)
	store := grant.NewMemory()
	now := time.Now().UTC()
	if err := store.Put(t.Context(), &grant.Grant{App: "web", Subject: "alice", User: user,
		RefreshToken: emu.IssueRefreshToken(webClient, user), State: grant.Active, CreatedAt: now, RefreshedAt: now}); err != nil {
		t.Fatal(err)
	}
	client := &coze.Client{Timeout: 10 * time.Second}
	return &Refresh{App: "web", Client: client, TokenURL: coze.TokenURL(cz.URL, "", ""), ClientID: webClient,
		ClientSecret: webSecret, Grants: store}, emu, store
}

func stored(t *testing.T, s grant.Store, subject string) *grant.Grant {
	t.Helper()
	g, err := s.Get(t.Context(), "web", subject)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestRefreshRotatesAndSaves: each mint redeems the stored refresh token
// once and saves the rotated one before answering; none is used twice.
func TestRefreshRotatesAndSaves(t *testing.T) {
	src, emu, store := webRefresh(t)
	seen := map[string]bool{stored(t, store, "alice").RefreshToken: true}
	for i := range 3 {
		tok, err := src.Mint(t.Context(), broker.Request{App: "web", Session: "alice"})
		if err != nil {
			t.Fatalf("mint %d: %v", i, err)
		}
		if tok.AccessToken == "" || tok.RefreshToken == "" {
			t.Fatalf("mint %d: %+v", i, tok)
		}
		rt := stored(t, store, "alice").RefreshToken
		if seen[rt] || rt != tok.RefreshToken {
			t.Fatalf("mint %d: the rotated refresh token was not saved", i)
		}
		seen[rt] = true
	}
	if d := emu.DoubleRedemptions(); d != 0 {
		t.Fatalf("%d refresh tokens redeemed twice", d)
	}
}

// TestRefreshOncePerSubject: many callers at once cost one redemption.
func TestRefreshOncePerSubject(t *testing.T) {
	src, emu, _ := webRefresh(t)
	emu.Inject(emulator.Fault{Latency: 200 * time.Millisecond}) // keep the one redemption in flight
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := src.Mint(context.Background(), broker.Request{App: "web", Session: "alice"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := emu.MintsByGrant(emulator.GrantRefreshToken); n != 1 {
		t.Fatalf("50 concurrent callers made %d redemptions, want 1", n)
	}
	if d := emu.DoubleRedemptions(); d != 0 {
		t.Fatalf("%d refresh tokens redeemed twice", d)
	}
}

// TestCallerGivingUpLosesNothing: a caller whose context ends while the
// redemption is under way does not cut it short; the rotated token is
// saved and the next mint works without a second redemption of any token.
func TestCallerGivingUpLosesNothing(t *testing.T) {
	src, emu, store := webRefresh(t)
	before := stored(t, store, "alice").RefreshToken
	emu.Inject(emulator.Fault{Latency: 300 * time.Millisecond})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := src.Mint(ctx, broker.Request{App: "web", Session: "alice"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the caller's deadline", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for stored(t, store, "alice").RefreshToken == before {
		if time.Now().After(deadline) {
			t.Fatal("the redemption a caller gave up on was never saved")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := src.Mint(t.Context(), broker.Request{App: "web", Session: "alice"}); err != nil {
		t.Fatal(err)
	}
	if d := emu.DoubleRedemptions(); d != 0 {
		t.Fatalf("%d refresh tokens redeemed twice", d)
	}
}

// TestDeadGrantNeedsLogin: a refresh token Coze refuses marks the grant
// needs-login; later mints fail at once without presenting it again.
func TestDeadGrantNeedsLogin(t *testing.T) {
	src, emu, store := webRefresh(t)
	emu.RevokeGrants(webClient, user)
	var nl *NeedsLogin
	if _, err := src.Mint(t.Context(), broker.Request{App: "web", Session: "alice"}); !errors.As(err, &nl) || nl.Subject != "alice" || nl.App != "web" {
		t.Fatalf("err = %v, want NeedsLogin for web/alice", err)
	}
	if g := stored(t, store, "alice"); g.State != grant.NeedsLogin || g.RefreshToken != "" {
		t.Fatalf("grant after a refused refresh: state %q", g.State)
	}
	requests := emu.Requests()
	if _, err := src.Mint(t.Context(), broker.Request{App: "web", Session: "alice"}); !errors.As(err, &nl) {
		t.Fatalf("second mint: %v", err)
	}
	if emu.Requests() != requests {
		t.Fatal("a dead refresh token was presented again")
	}
}

func TestNoGrantNeedsLogin(t *testing.T) {
	src, emu, _ := webRefresh(t)
	var nl *NeedsLogin
	if _, err := src.Mint(t.Context(), broker.Request{App: "web", Session: "bob"}); !errors.As(err, &nl) {
		t.Fatalf("err = %v, want NeedsLogin", err)
	}
	if emu.Requests() != 0 {
		t.Fatal("Coze was asked although bob has no grant")
	}
}

// TestLostAnswerIsTheOneWindow documents the window the protocol leaves:
// Coze redeemed the refresh token but its answer never arrived. The old
// token is spent, the next attempt is refused, and the grant needs a
// login — it is never retried in a loop.
func TestLostAnswerIsTheOneWindow(t *testing.T) {
	src, emu, store := webRefresh(t)
	emu.Inject(emulator.Fault{LoseAnswer: true})
	if _, err := src.Mint(t.Context(), broker.Request{App: "web", Session: "alice"}); err == nil {
		t.Fatal("a lost answer gave a token")
	}
	var nl *NeedsLogin
	if _, err := src.Mint(t.Context(), broker.Request{App: "web", Session: "alice"}); !errors.As(err, &nl) {
		t.Fatalf("after the lost answer: %v, want NeedsLogin", err)
	}
	if g := stored(t, store, "alice"); g.State != grant.NeedsLogin {
		t.Fatalf("state %q", g.State)
	}
}

func TestPATHandsOutItsToken(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	p := &PAT{Token: "pat_abc", now: func() time.Time { return now }}
	tok, err := p.Mint(t.Context(), broker.Request{App: "pat", Session: "anyone"})
	if err != nil || tok.AccessToken != "pat_abc" || !tok.ExpiresAt.Equal(now.Add(patLife)) {
		t.Fatalf("%+v %v", tok, err)
	}
}
