package replica_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/coze"
)

// shortLived mints tokens of a 4 s life (refreshed ahead at 2 s) and
// counts.
type shortLived struct{ n atomic.Int64 }

func (s *shortLived) Mint(_ context.Context, r broker.Request) (*coze.Token, error) {
	n := s.n.Add(1)
	return &coze.Token{AccessToken: "czs_" + strconv.FormatInt(n, 10), TokenType: "Bearer", ExpiresAt: time.Now().Add(4 * time.Second)}, nil
}

// TestRefreshAheadOnceAcrossReplicas: a hot session used on three
// replicas reaches its refresh point on all three at once; it is
// refreshed once in total, and every replica serves the new token.
func TestRefreshAheadOnceAcrossReplicas(t *testing.T) {
	c := newCluster(t)
	src := &shortLived{}
	var brs []*broker.Broker
	for range 3 {
		st := c.node().store
		b := broker.New(map[string]broker.Source{"jwt": src}, broker.Options{Shared: st.Tokens()})
		t.Cleanup(b.Close)
		brs = append(brs, b)
	}
	r := broker.Request{App: "jwt", Session: "hot"}
	for _, b := range brs {
		for range 2 { // the second use makes it hot: refreshed in the background
			if tok, _, err := b.Token(t.Context(), r); err != nil || tok.AccessToken != "czs_1" {
				t.Fatalf("%v %v", tok, err)
			}
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		fresh := 0
		for _, b := range brs {
			if tok, out, err := b.Token(t.Context(), r); err == nil && out == broker.Hit && tok.AccessToken != "czs_1" {
				fresh++
			}
		}
		if fresh == len(brs) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replicas never all served a refreshed token (%d mints)", src.n.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := src.n.Load(); n != 2 {
		t.Fatalf("%d mints: the hot session was refreshed %d times across three replicas, want once", n, n-1)
	}
}
