package credential

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/emulator"
	"github.com/cozeauth/cozeauth/grant"
)

// Helpers shared by TestRefreshManyGrantsOnce and BenchmarkRefresh10k:
// one emulator over loopback HTTP with a web app and a JWT app, many
// grants, and many callers at once.

const (
	jwtClient = "1170000000001"
	jwtKID    = "kid-bench"
)

var jwtKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// fleet is an emulator serving a web app and a JWT app over loopback, and
// a Coze client whose transport keeps a connection per worker.
type fleet struct {
	emu      *emulator.Server
	tokenURL string
	client   *coze.Client
}

func newFleet(tb testing.TB, workers int) *fleet {
	tb.Helper()
	emu := emulator.New(emulator.Options{})
	emu.AddWebApp(webClient, webSecret, "http://127.0.0.1/oauth/callback")
	cz := httptest.NewServer(emu)
	tr := &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers, IdleConnTimeout: time.Minute}
	tb.Cleanup(func() {
		tr.CloseIdleConnections()
		cz.Close()
	})
	// No retries: a refresh is never sent twice anyway, and a retried
	// JWT exchange would count as a second mint.
	client := &coze.Client{HTTP: &http.Client{Transport: tr}, Timeout: 30 * time.Second, Retry: coze.Backoff{Attempts: 1}}
	return &fleet{emu: emu, tokenURL: coze.TokenURL(cz.URL, "", ""), client: client}
}

func (f *fleet) refresher(app string, store grant.Store) *Refresh {
	return &Refresh{App: app, Client: f.client, TokenURL: f.tokenURL, ClientID: webClient, ClientSecret: webSecret, Grants: store}
}

// jwt registers the JWT app's key and returns a JWT source for it.
func (f *fleet) jwt() *JWT {
	f.emu.AddKey(jwtClient, jwtKID, &jwtKey().PublicKey)
	return &JWT{Client: f.client, TokenURL: f.tokenURL, Signer: &coze.Signer{
		ClientID: jwtClient, KeyID: jwtKID, Key: jwtKey(), Audience: "api.coze.cn", TTL: time.Minute}}
}

func subject(i int) string { return fmt.Sprintf("user-%05d", i) }

// concurrently calls fn(0) to fn(n-1) from workers goroutines and returns
// how long that took and the first error.
func concurrently(n, workers int, fn func(i int) error) (time.Duration, error) {
	var (
		next  atomic.Int64
		once  sync.Once
		first error
		wg    sync.WaitGroup
	)
	start := time.Now()
	for range min(workers, n) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				if err := fn(i); err != nil {
					once.Do(func() { first = fmt.Errorf("call %d: %w", i, err) })
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start), first
}

// seed gives n distinct users a grant of app in store, each holding a
// refresh token the emulator issued for them, and returns those tokens.
func (f *fleet) seed(tb testing.TB, store grant.Store, app string, n, workers int) ([]string, time.Duration) {
	tb.Helper()
	issued := make([]string, n)
	for i := range issued {
		issued[i] = f.emu.IssueRefreshToken(webClient, fmt.Sprintf("73100000%011d", i))
	}
	now := time.Now().UTC()
	took, err := concurrently(n, workers, func(i int) error {
		return store.Put(context.Background(), &grant.Grant{App: app, Subject: subject(i), RefreshToken: issued[i],
			State: grant.Active, CreatedAt: now, RefreshedAt: now})
	})
	if err != nil {
		tb.Fatal(err)
	}
	return issued, took
}

// refreshAll mints once for each of the n subjects, workers at a time,
// and returns the refresh tokens the answers carried.
func refreshAll(tb testing.TB, src *Refresh, n, workers int) ([]string, time.Duration) {
	tb.Helper()
	answered := make([]string, n)
	took, err := concurrently(n, workers, func(i int) error {
		tok, err := src.Mint(context.Background(), broker.Request{App: src.App, Session: subject(i)})
		if err != nil {
			return err
		}
		answered[i] = tok.RefreshToken
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return answered, took
}

// checkRedeemedOnce fails unless each grant's refresh token changed
// exactly once: the token it held (was[i]) was presented to Coze once,
// and the one stored now is the one Coze answered (answered[i]) and was
// never presented.
func (f *fleet) checkRedeemedOnce(tb testing.TB, store grant.Store, app string, was, answered []string) {
	tb.Helper()
	if d := f.emu.DoubleRedemptions(); d != 0 {
		tb.Fatalf("%d refresh tokens were redeemed more than once", d)
	}
	bad := 0
	for i := range was {
		g, err := store.Get(context.Background(), app, subject(i))
		if err != nil {
			tb.Fatal(err)
		}
		switch {
		case g.State != grant.Active || g.RefreshToken == was[i]:
			tb.Errorf("%s: the grant's refresh token did not change", subject(i))
		case g.RefreshToken != answered[i]:
			tb.Errorf("%s: the stored refresh token is not the one Coze answered", subject(i))
		case f.emu.RefreshRedemptions(was[i]) != 1:
			tb.Errorf("%s: its refresh token was presented %d times, want 1", subject(i), f.emu.RefreshRedemptions(was[i]))
		case f.emu.RefreshRedemptions(g.RefreshToken) != 0:
			tb.Errorf("%s: the stored refresh token was already presented", subject(i))
		default:
			continue
		}
		if bad++; bad == 5 {
			tb.FailNow()
		}
	}
	if bad > 0 {
		tb.FailNow()
	}
}

func openFileStore(tb testing.TB, path string, kr *grant.Keyring) *grant.FileStore {
	tb.Helper()
	s, err := grant.OpenFile(path, kr)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func newKeyring(tb testing.TB) *grant.Keyring {
	tb.Helper()
	kr, err := grant.ParseKeyring(grant.GenerateKey())
	if err != nil {
		tb.Fatal(err)
	}
	return kr
}

// TestRefreshManyGrantsOnce: 500 grants in the file store refreshed by 64
// callers at once, twice over, each refresh token redeemed exactly once
// and every rotated one durable (the store reopened between the rounds).
func TestRefreshManyGrantsOnce(t *testing.T) {
	const n, workers = 500, 64
	f := newFleet(t, workers)
	path := filepath.Join(t.TempDir(), grant.DefaultFileName)
	kr := newKeyring(t)
	store := openFileStore(t, path, kr)
	was, _ := f.seed(t, store, "web", n, workers)
	for round := 1; round <= 2; round++ {
		answered, _ := refreshAll(t, f.refresher("web", store), n, workers)
		if err := store.Close(); err != nil {
			t.Fatal(err)
		}
		store = openFileStore(t, path, kr)
		f.checkRedeemedOnce(t, store, "web", was, answered)
		if got := f.emu.MintsByGrant(emulator.GrantRefreshToken); got != round*n {
			t.Fatalf("round %d: %d redemptions in all, want %d", round, got, round*n)
		}
		was = answered
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
}
