package server

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// memLogins is SharedLogins in memory, kept as replica.Logins keeps them
// in Redis: copies of the values, lapsing after their ttl, each id
// claimed once. down makes every call fail, as an unreachable Redis.
type memLogins struct {
	mu    sync.Mutex
	vals  map[string]memValue
	spent map[string]time.Time
	down  atomic.Bool
	puts  atomic.Int64
}

type memValue struct {
	b     []byte
	lapse time.Time
}

var errDown = errors.New("shared store unreachable")

func newMemLogins() *memLogins {
	return &memLogins{vals: map[string]memValue{}, spent: map[string]time.Time{}}
}

func (m *memLogins) Put(_ context.Context, id string, v []byte, ttl time.Duration) error {
	if m.down.Load() {
		return errDown
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.vals[id] = memValue{append([]byte(nil), v...), time.Now().Add(ttl)}
	m.puts.Add(1)
	return nil
}

func (m *memLogins) Get(_ context.Context, id string) ([]byte, bool, error) {
	if m.down.Load() {
		return nil, false, errDown
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	t, spent := m.spent[id]
	spent = spent && time.Now().Before(t)
	v, ok := m.vals[id]
	if !ok || !time.Now().Before(v.lapse) {
		return nil, spent, nil
	}
	return append([]byte(nil), v.b...), spent, nil
}

func (m *memLogins) Claim(_ context.Context, id string, ttl time.Duration) (bool, error) {
	if m.down.Load() {
		return false, errDown
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if t, ok := m.spent[id]; ok && time.Now().Before(t) {
		return false, nil
	}
	m.spent[id] = time.Now().Add(ttl)
	return true, nil
}

// loginModes runs f with each way of keeping logins under way: in the
// process, and shared by two replicas that answer requests in turn (so
// a link made by one is opened on the other, and the callback comes back
// to the first).
func loginModes(t *testing.T, f func(t *testing.T, lf *loginFix)) {
	t.Run("local", func(t *testing.T) { f(t, loginFixture(t, nil)) })
	t.Run("replicas", func(t *testing.T) {
		logins := newMemLogins()
		f(t, loginFixtureWith(t, nil, nil, logins))
		if logins.puts.Load() == 0 {
			t.Fatal("the replicas never used the shared logins")
		}
	})
}

// TestLoginStoreUnavailable: when the shared store does not answer, each
// login step says so (503) and spends nothing: the same link, and then
// the same login, go on once it is back.
func TestLoginStoreUnavailable(t *testing.T) {
	logins := newMemLogins()
	lf := loginFixtureWith(t, nil, nil, logins)

	logins.down.Store(true)
	status, body := lf.connect(t, "", "web", "hana", "")
	if status != 503 || !strings.Contains(body, "store_unavailable") {
		t.Fatalf("connect with the store down: %d %s", status, body)
	}
	logins.down.Store(false)
	_, link := lf.connect(t, "", "web", "hana", "")

	a := newBrowser(t, atCallback)
	logins.down.Store(true)
	if status, page, _ := a.get(t, link); status != 503 || !strings.Contains(page, "could not reach the store") {
		t.Fatalf("login start with the store down: %d %s", status, page)
	}
	logins.down.Store(false)
	if status, _, _ := a.get(t, link); status != 302 || a.last == nil {
		t.Fatalf("the same link once the store is back: %d", status)
	}
	callback := a.last.String()
	a.c.CheckRedirect = nil
	logins.down.Store(true)
	if status, page, _ := a.get(t, callback); status != 503 || !strings.Contains(page, "could not reach the store") {
		t.Fatalf("callback with the store down: %d %s", status, page)
	}
	lf.noGrants(t)
	logins.down.Store(false)
	if status, page, _ := a.get(t, callback); status != 200 || lf.grantOf(t, "web", "hana") == nil {
		t.Fatalf("the same callback once the store is back: %d %s", status, page)
	}
}
