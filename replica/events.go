package replica

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"maps"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// Channels, after Options.Prefix.
const (
	chanMinted = "minted" // payload: the hashed cache key whose token was published
	chanEvents = "events" // payload: an event, JSON
)

// event is what one replica tells the others.
type event struct {
	From    string   `json:"from"`              // the replica's random id
	Kind    string   `json:"kind"`              // "revoke" or "reload"
	Revoked []string `json:"revoked,omitempty"` // client ids (policy.Client.ID)
}

// events holds the revoked client ids (copy on write: read on every
// keyed request, changed rarely) and what to do on others' events.
type events struct {
	revoked  atomic.Pointer[map[string]struct{}]
	mu       sync.Mutex // serializes writers of revoked and the hooks
	onRevoke func(ids []string)
	onReload func()
}

func (e *events) init() { e.revoked.Store(&map[string]struct{}{}) }

// add records ids and returns those that were new.
func (e *events) add(ids []string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	cur := *e.revoked.Load()
	var fresh []string
	for _, id := range ids {
		if _, ok := cur[id]; !ok && id != "" {
			fresh = append(fresh, id)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	next := maps.Clone(cur)
	for _, id := range fresh {
		next[id] = struct{}{}
	}
	e.revoked.Store(&next)
	return fresh
}

// OnRevoke sets what to do when any replica (or `cozeauth keys revoke`)
// revokes client keys: drop their cached tokens (broker.DropOwner). It
// runs once per id this replica had not seen revoked, from a background
// goroutine.
func (s *Store) OnRevoke(fn func(ids []string)) {
	s.events.mu.Lock()
	s.events.onRevoke = fn
	s.events.mu.Unlock()
}

// OnReload sets what to do when another replica reloaded its
// configuration: reload this one's too, so an edited keys file takes
// effect everywhere at once.
func (s *Store) OnReload(fn func()) {
	s.events.mu.Lock()
	s.events.onReload = fn
	s.events.mu.Unlock()
}

// Revoked reports whether the client key of id was revoked through the
// shared store. It answers from memory.
func (s *Store) Revoked(id string) bool {
	_, ok := (*s.events.revoked.Load())[id]
	return ok
}

// Revoke records ids as revoked in Redis, for good (a revoked key is
// never issued again: `keys create` makes new ones), and tells every
// replica, which refuses their keys and drops their tokens within a
// second. It applies them to this replica at once, whatever Redis says;
// while Redis is unreachable the other replicas learn of them when it
// returns (and from their own keys file).
func (s *Store) Revoke(ids []string) {
	_ = s.RevokeContext(context.Background(), ids)
}

// RevokeContext is Revoke reporting whether Redis recorded it.
func (s *Store) RevokeContext(ctx context.Context, ids []string) error {
	if fresh := s.events.add(ids); len(fresh) > 0 {
		s.runRevoke(fresh)
	}
	if len(ids) == 0 {
		return nil
	}
	members := make([]any, len(ids))
	for i, id := range ids {
		members[i] = id
	}
	if err := s.call(ctx, "revoke.add", func(ctx context.Context) error {
		return s.rdb.SAdd(ctx, s.opts.Prefix+"revoked", members...).Err()
	}); err != nil {
		return err
	}
	return s.publish(ctx, event{Kind: "revoke", Revoked: ids})
}

// Reloaded tells the other replicas that this one reloaded its
// configuration, so that they read theirs again now.
func (s *Store) Reloaded() { _ = s.publish(context.Background(), event{Kind: "reload"}) }

func (s *Store) publish(ctx context.Context, ev event) error {
	ev.From = s.id
	b, _ := json.Marshal(ev)
	return s.call(ctx, "event.publish", func(ctx context.Context) error {
		return s.rdb.Publish(ctx, s.opts.Prefix+chanEvents, b).Err()
	})
}

func (s *Store) runRevoke(ids []string) {
	s.events.mu.Lock()
	fn := s.events.onRevoke
	s.events.mu.Unlock()
	if fn != nil {
		fn(ids)
	}
}

// catchUp reads the revoked ids Redis holds, applying those this replica
// missed (it was away, or a message was lost).
func (s *Store) catchUp() {
	var ids []string
	err := s.call(context.Background(), "revoke.list", func(ctx context.Context) error {
		var err error
		ids, err = s.rdb.SMembers(ctx, s.opts.Prefix+"revoked").Result()
		return err
	})
	if err == nil {
		if fresh := s.events.add(ids); len(fresh) > 0 {
			s.runRevoke(fresh)
		}
	}
}

// subscribe listens to the minted and events channels until Close;
// go-redis resubscribes after a lost connection, and each (re)subscription
// catches up on revocations.
func (s *Store) subscribe() {
	defer s.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ps := s.rdb.Subscribe(ctx, s.opts.Prefix+chanMinted, s.opts.Prefix+chanEvents)
	defer ps.Close()
	ch := ps.ChannelWithSubscriptions(redis.WithChannelSize(1024))
	for {
		select {
		case <-s.stop:
			return
		case m, ok := <-ch:
			if !ok {
				return
			}
			switch m := m.(type) {
			case *redis.Subscription:
				if m.Kind == "subscribe" && m.Channel == s.opts.Prefix+chanEvents {
					go s.catchUp()
				}
			case *redis.Message:
				s.deliver(m)
			}
		}
	}
}

func (s *Store) deliver(m *redis.Message) {
	switch m.Channel {
	case s.opts.Prefix + chanMinted:
		s.waiters.wake(m.Payload)
	case s.opts.Prefix + chanEvents:
		var ev event
		if json.Unmarshal([]byte(m.Payload), &ev) != nil || ev.From == s.id {
			return
		}
		switch ev.Kind {
		case "revoke":
			if fresh := s.events.add(ev.Revoked); len(fresh) > 0 {
				go s.runRevoke(fresh)
			}
		case "reload":
			s.events.mu.Lock()
			fn := s.events.onReload
			s.events.mu.Unlock()
			if fn != nil {
				go fn()
			}
		}
	}
}

// waiters are the local callers waiting for another replica's mint,
// by hashed cache key.
type waiters struct {
	mu sync.Mutex
	m  map[string][]chan struct{}
}

// watch registers a waiter for h; cancel unregisters it.
func (w *waiters) watch(h string) (ch chan struct{}, cancel func()) {
	ch = make(chan struct{}, 1)
	w.mu.Lock()
	w.m[h] = append(w.m[h], ch)
	w.mu.Unlock()
	return ch, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		l := w.m[h]
		for i, c := range l {
			if c == ch {
				l[i] = l[len(l)-1]
				l = l[:len(l)-1]
				break
			}
		}
		if len(l) == 0 {
			delete(w.m, h)
		} else {
			w.m[h] = l
		}
	}
}

func (w *waiters) wake(h string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range w.m[h] {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
