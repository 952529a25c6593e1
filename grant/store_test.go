package grant

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// stores runs a test against every Store implementation.
func stores(t *testing.T, test func(t *testing.T, s Store)) {
	t.Run("memory", func(t *testing.T) {
		s := NewMemory()
		defer s.Close()
		test(t, s)
	})
	t.Run("file", func(t *testing.T) {
		_, s := newFile(t)
		defer s.Close()
		test(t, s)
	})
}

func TestRoundTrip(t *testing.T) {
	stores(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		g := sample("web", "alice")
		if err := s.Put(ctx, g); err != nil {
			t.Fatal(err)
		}
		if g.Version == 0 {
			t.Fatal("Put set no version")
		}
		got, err := s.Get(ctx, "web", "alice")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, g) {
			t.Fatalf("got %+v\nwant %+v", *got, *g)
		}
		got.Scope[0] = 'X' // copies out: changing it changes nothing stored
		again, _ := s.Get(ctx, "web", "alice")
		if again.Scope[0] != '{' {
			t.Fatal("Get handed out stored memory")
		}
		if _, err := s.Get(ctx, "web", "bob"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("missing grant: %v", err)
		}
		if _, err := s.Get(ctx, "pkce", "alice"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("missing app: %v", err)
		}
	})
}

func TestSwapAndVersions(t *testing.T) {
	stores(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		g := sample("web", "alice")
		if err := s.Put(ctx, g); err != nil {
			t.Fatal(err)
		}
		old := *g
		next := g.clone()
		next.RefreshToken = "rt-rotated"
		if err := s.Swap(ctx, &old, next); err != nil {
			t.Fatal(err)
		}
		if next.Version <= old.Version {
			t.Fatalf("version %d after %d", next.Version, old.Version)
		}
		stale := g.clone()
		stale.RefreshToken = "rt-stale"
		if err := s.Swap(ctx, &old, stale); !errors.Is(err, ErrConflict) {
			t.Fatalf("stale swap: %v", err)
		}
		got, _ := s.Get(ctx, "web", "alice")
		if got.RefreshToken != "rt-rotated" {
			t.Fatal("a stale swap overwrote the rotated token")
		}
		// Deleted and logged in again: a swap prepared before must fail,
		// because versions are never reused.
		if err := s.Delete(ctx, "web", "alice"); err != nil {
			t.Fatal(err)
		}
		if err := s.Swap(ctx, next, stale); !errors.Is(err, ErrNotFound) {
			t.Fatalf("swap on a deleted grant: %v", err)
		}
		fresh := sample("web", "alice")
		if err := s.Put(ctx, fresh); err != nil {
			t.Fatal(err)
		}
		for _, v := range []uint64{old.Version, next.Version} {
			if fresh.Version == v {
				t.Fatalf("version %d reused", v)
			}
		}
		if err := s.Swap(ctx, next, stale); !errors.Is(err, ErrConflict) {
			t.Fatalf("old swap against a new login: %v", err)
		}
		moved := fresh.clone()
		moved.Subject = "bob"
		if err := s.Swap(ctx, fresh, moved); !errors.Is(err, ErrInvalid) {
			t.Fatalf("swap to another subject: %v", err)
		}
	})
}

// TestSwapRaceOneWinner: many writers holding the same version, exactly
// one wins (run with -race).
func TestSwapRaceOneWinner(t *testing.T) {
	stores(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		g := sample("web", "alice")
		if err := s.Put(ctx, g); err != nil {
			t.Fatal(err)
		}
		const n = 32
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				old := *g
				next := g.clone()
				next.RefreshToken = fmt.Sprintf("rt-%d", i)
				errs[i] = s.Swap(ctx, &old, next)
			})
		}
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch {
			case err == nil:
				if won >= 0 {
					t.Fatalf("writers %d and %d both won", won, i)
				}
				won = i
			case !errors.Is(err, ErrConflict):
				t.Fatalf("writer %d: %v", i, err)
			}
		}
		if won < 0 {
			t.Fatal("no writer won")
		}
		got, _ := s.Get(ctx, "web", "alice")
		if got.RefreshToken != fmt.Sprintf("rt-%d", won) {
			t.Fatalf("stored %q, winner was %d", got.RefreshToken, won)
		}
	})
}

func TestMarkNeedsLogin(t *testing.T) {
	stores(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		g := sample("web", "alice")
		if err := s.Put(ctx, g); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkNeedsLogin(ctx, "web", "alice", g.Version+100, "x"); !errors.Is(err, ErrConflict) {
			t.Fatalf("wrong version: %v", err)
		}
		if err := s.MarkNeedsLogin(ctx, "web", "nobody", g.Version, "x"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("missing: %v", err)
		}
		if err := s.MarkNeedsLogin(ctx, "web", "alice", g.Version, "invalid_grant:\nrefresh token used twice"); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Get(ctx, "web", "alice")
		if got.State != NeedsLogin || got.RefreshToken != "" || got.Version == g.Version {
			t.Fatalf("after mark: %v token=%q", got, got.RefreshToken)
		}
		if got.Reason != "invalid_grant: refresh token used twice" {
			t.Fatalf("reason %q", got.Reason)
		}
		if got.User != g.User || !got.CreatedAt.Equal(g.CreatedAt) {
			t.Fatal("mark lost the grant's other fields")
		}
	})
}

func TestListDeleteAndClose(t *testing.T) {
	stores(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		for _, k := range [][2]string{{"web", "bob"}, {"web", "alice"}, {"pkce", "carol"}} {
			if err := s.Put(ctx, sample(k[0], k[1])); err != nil {
				t.Fatal(err)
			}
		}
		all, err := s.List(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, m := range all {
			names = append(names, m.App+"/"+m.Subject)
		}
		if fmt.Sprint(names) != "[pkce/carol web/alice web/bob]" {
			t.Fatalf("list: %v", names)
		}
		web, _ := s.List(ctx, "web")
		if len(web) != 2 {
			t.Fatalf("list web: %d", len(web))
		}
		if err := s.Delete(ctx, "web", "alice"); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, "web", "alice"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
		if web, _ := s.List(ctx, "web"); len(web) != 1 {
			t.Fatalf("after delete: %d", len(web))
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, "web", "bob"); !errors.Is(err, ErrClosed) {
			t.Fatalf("after close: %v", err)
		}
		if err := s.Put(ctx, sample("web", "x")); !errors.Is(err, ErrClosed) {
			t.Fatalf("put after close: %v", err)
		}
	})
}

func TestBadGrantsAreRefused(t *testing.T) {
	long := make([]byte, MaxSubject+1)
	for i := range long {
		long[i] = 'a'
	}
	stores(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		for name, mutate := range map[string]func(g *Grant){
			"empty app":       func(g *Grant) { g.App = "" },
			"empty subject":   func(g *Grant) { g.Subject = "" },
			"long subject":    func(g *Grant) { g.Subject = string(long) },
			"control":         func(g *Grant) { g.Subject = "a\nb" },
			"bad utf8":        func(g *Grant) { g.Subject = "\xff" },
			"no token":        func(g *Grant) { g.RefreshToken = "" },
			"bad state":       func(g *Grant) { g.State = "zombie" },
			"bad scope":       func(g *Grant) { g.Scope = []byte("{") },
			"reason too long": func(g *Grant) { g.Reason = string(long) + string(long) },
		} {
			g := sample("web", "alice")
			mutate(g)
			err := s.Put(ctx, g)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: %v", name, err)
			}
			noSecrets(t, err)
		}
		if all, _ := s.List(ctx, ""); len(all) != 0 {
			t.Fatalf("bad grants were stored: %v", all)
		}
	})
}

func TestGrantPrintsNoToken(t *testing.T) {
	g := sample("web", "alice")
	for _, s := range []string{fmt.Sprint(g), fmt.Sprintf("%v %+v %#v %s", *g, *g, *g, g)} {
		if strings.Contains(s, testToken) {
			t.Fatalf("printed token: %s", s)
		}
	}
}
