package broker

import (
	"fmt"
	"sync"
	"testing"

	"github.com/cozeauth/cozeauth/coze"
)

// bigScope returns a scope whose JSON takes about n bytes: a bot chat
// constraint listing n/22 bot ids, which differ with tag. Callers share
// the result and must not modify it.
func bigScope(n int, tag string) *coze.Scope {
	k := fmt.Sprint(n, "/", tag)
	if s, ok := scopes.Load(k); ok {
		return s.(*coze.Scope)
	}
	s, _ := scopes.LoadOrStore(k, makeScope(n, tag))
	return s.(*coze.Scope)
}

var scopes sync.Map

func makeScope(n int, tag string) *coze.Scope {
	ids := make([]string, n/22)
	for i := range ids {
		ids[i] = fmt.Sprintf("7%s%018d", tag, i)[:19]
	}
	return &coze.Scope{
		AccountPermission:   &coze.AccountPermission{PermissionList: []string{"Connector.botChat"}},
		AttributeConstraint: &coze.AttributeConstraint{ConnectorBotChatAttribute: &coze.BotChatAttribute{BotIDList: ids}},
	}
}

// checkAccounting recomputes the cache's books from its entries: every
// entry is charged its current cost, owners and the total add up, and the
// lookup maps, the sampling lists and the counters agree.
func checkAccounting(t *testing.T, b *Broker) {
	t.Helper()
	c := b.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	var total int64
	owners := map[*owner]Usage{}
	for i, e := range c.all {
		if !e.linked || int(e.pos) != i || e.own.list[e.opos] != e {
			t.Fatalf("entry %q: linked %v, pos %d (at %d): lists disagree", e.key, e.linked, e.pos, i)
		}
		if got := c.get(e.key); got != e {
			t.Fatalf("entry %q is in the lists but not in its shard map", e.key)
		}
		if want := c.cost(e, e.st.Load()); e.charged != want {
			t.Fatalf("entry %q charged %d, costs %d", e.key, e.charged, want)
		}
		total += e.charged
		u := owners[e.own]
		u.Entries++
		u.Bytes += e.charged
		owners[e.own] = u
	}
	mapped := 0
	for i := range c.shards {
		mapped += len(c.shards[i].m)
	}
	if mapped != len(c.all) || int(c.count.Load()) != len(c.all) {
		t.Fatalf("%d in maps, %d in list, count %d", mapped, len(c.all), c.count.Load())
	}
	if got := c.bytes.Load(); got != total {
		t.Fatalf("total charged %d, entries add up to %d", got, total)
	}
	if len(owners) != len(c.owners) {
		t.Fatalf("%d owner records for %d owners holding entries", len(c.owners), len(owners))
	}
	for o, u := range owners {
		if c.owners[o.name] != o || o.bytes != u.Bytes || len(o.list) != u.Entries {
			t.Fatalf("owner %q: %d B in %d entries recorded, %d B in %d entries held", o.name, o.bytes, len(o.list), u.Bytes, u.Entries)
		}
		if _, over := c.over[o]; over != c.overShare(o, 0, 0) {
			t.Fatalf("owner %q: listed over its share %v, is %v", o.name, over, !over)
		}
	}
	if total > c.lim.bytes || int64(len(c.all)) > c.lim.entries {
		t.Fatalf("cache holds %d B in %d entries, limits %d B, %d entries", total, len(c.all), c.lim.bytes, c.lim.entries)
	}
}

// hits asks for every request again and fails unless each is a hit.
func hits(t *testing.T, b *Broker, what string, reqs []Request) {
	t.Helper()
	lost := 0
	for _, r := range reqs {
		if _, out := mustToken(t, b, r); out != Hit {
			lost++
		}
	}
	if lost > 0 {
		t.Fatalf("%s: %d of %d cached tokens were gone", what, lost, len(reqs))
	}
}

func sessions(owner, prefix string, n int) []Request {
	reqs := make([]Request, n)
	for i := range reqs {
		reqs[i] = Request{App: "app", Owner: owner, Session: prefix + fmt.Sprint(i)}
	}
	return reqs
}
