package grant

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
)

// Memory is a Store held in memory, for tests of other packages: the same
// semantics as the file store (versions unique, compare-and-swap, copies
// in and out), no durability. Safe for concurrent use.
type Memory struct {
	mu      sync.Mutex
	grants  map[memKey]*Grant
	version uint64
	closed  bool
}

type memKey struct{ app, subject string }

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{grants: map[memKey]*Grant{}} }

func (m *Memory) begin(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if m.closed {
		return ErrClosed
	}
	return nil
}

// Get implements Store.
func (m *Memory) Get(ctx context.Context, app, subject string) (*Grant, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.begin(ctx); err != nil {
		return nil, err
	}
	g, ok := m.grants[memKey{app, subject}]
	if !ok {
		return nil, notFound(app, subject)
	}
	return g.clone(), nil
}

// Put implements Store.
func (m *Memory) Put(ctx context.Context, g *Grant) error {
	if err := g.check(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.begin(ctx); err != nil {
		return err
	}
	m.store(g)
	return nil
}

func (m *Memory) store(g *Grant) {
	m.version++
	c := g.clone()
	c.Version = m.version
	m.grants[memKey{g.App, g.Subject}] = c
	g.Version = m.version
}

// Swap implements Store.
func (m *Memory) Swap(ctx context.Context, old, next *Grant) error {
	if err := checkSwap(old, next); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.begin(ctx); err != nil {
		return err
	}
	cur, ok := m.grants[memKey{old.App, old.Subject}]
	if !ok {
		return notFound(old.App, old.Subject)
	}
	if cur.Version != old.Version {
		return conflict(old.App, old.Subject, old.Version, cur.Version)
	}
	m.store(next)
	return nil
}

// MarkNeedsLogin implements Store.
func (m *Memory) MarkNeedsLogin(ctx context.Context, app, subject string, version uint64, reason string) error {
	if err := checkKey(app, subject); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.begin(ctx); err != nil {
		return err
	}
	cur, ok := m.grants[memKey{app, subject}]
	if !ok {
		return notFound(app, subject)
	}
	if cur.Version != version {
		return conflict(app, subject, version, cur.Version)
	}
	m.store(markedNeedsLogin(cur, reason))
	return nil
}

// Delete implements Store.
func (m *Memory) Delete(ctx context.Context, app, subject string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.begin(ctx); err != nil {
		return err
	}
	k := memKey{app, subject}
	if _, ok := m.grants[k]; !ok {
		return notFound(app, subject)
	}
	delete(m.grants, k)
	return nil
}

// List implements Store.
func (m *Memory) List(ctx context.Context, app string) ([]Meta, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.begin(ctx); err != nil {
		return nil, err
	}
	var out []Meta
	for k, g := range m.grants {
		if app == "" || k.app == app {
			out = append(out, g.Meta())
		}
	}
	sortMetas(out)
	return out, nil
}

// Close implements Store.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

// checkSwap validates the arguments of a Swap.
func checkSwap(old, next *Grant) error {
	if old == nil {
		return fmt.Errorf("%w: swap without the old grant", ErrInvalid)
	}
	if err := next.check(); err != nil {
		return err
	}
	if old.App != next.App || old.Subject != next.Subject {
		return fmt.Errorf("%w: swap from app %q subject %q to app %q subject %q: a swap keeps its app and subject", ErrInvalid, old.App, old.Subject, next.App, next.Subject)
	}
	return nil
}

// markedNeedsLogin is cur marked as needing login, without refresh token.
func markedNeedsLogin(cur *Grant, reason string) *Grant {
	g := cur.clone()
	g.State = NeedsLogin
	g.Reason = cleanReason(reason)
	g.RefreshToken = ""
	return g
}

func notFound(app, subject string) error {
	return fmt.Errorf("%w for app %q subject %q", ErrNotFound, app, subject)
}

func conflict(app, subject string, want, have uint64) error {
	return fmt.Errorf("%w: grant for app %q subject %q is at version %d, not %d: read it again", ErrConflict, app, subject, have, want)
}

func sortMetas(ms []Meta) {
	slices.SortFunc(ms, func(a, b Meta) int {
		return cmp.Or(cmp.Compare(a.App, b.App), cmp.Compare(a.Subject, b.Subject))
	})
}
