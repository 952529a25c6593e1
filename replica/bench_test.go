package replica_test

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/replica"
)

// counting is a Source that mints at once and counts.
type counting struct{ n atomic.Int64 }

func (c *counting) Mint(_ context.Context, r broker.Request) (*coze.Token, error) {
	n := c.n.Add(1)
	return &coze.Token{AccessToken: "czs_" + r.Session + "_" + strconv.FormatInt(n, 10), TokenType: "Bearer", ExpiresAt: time.Now().Add(time.Hour)}, nil
}

func benchStore(b *testing.B, c *cluster) *replica.Store {
	st, err := replica.Open(context.Background(), c.opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

func benchBroker(b *testing.B, src broker.Source, st *replica.Store) *broker.Broker {
	o := broker.Options{}
	if st != nil {
		o.Shared, o.SharedLimits = st.Tokens(), st.Limits()
	}
	br := broker.New(map[string]broker.Source{"jwt": src}, o)
	b.Cleanup(br.Close)
	return br
}

// BenchmarkHotPathRatio: cached tokens asked of a replica with Redis
// configured, against a lone process, interleaved in the same run (each
// iteration serves a batch of 20 000 tokens from each, over GOMAXPROCS
// goroutines). ratio is the replica's throughput over the lone
// process's (target ≥ 0.95); redis-ops/token counts Redis operations
// per token served from the replica.
func BenchmarkHotPathRatio(b *testing.B) {
	c := newCluster(b)
	st := benchStore(b, c)
	reqs := make([]broker.Request, 64)
	for i := range reqs {
		reqs[i] = broker.Request{App: "jwt", Session: "hot" + strconv.Itoa(i)}
	}
	lone, shared := benchBroker(b, &counting{}, nil), benchBroker(b, &counting{}, st)
	for _, br := range []*broker.Broker{lone, shared} {
		for _, r := range reqs {
			if _, _, err := br.Token(context.Background(), r); err != nil {
				b.Fatal(err)
			}
		}
	}
	const batch = 20_000
	workers := runtime.GOMAXPROCS(0)
	serve := func(br *broker.Broker) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range batch / workers {
					if _, out, err := br.Token(context.Background(), reqs[(i+w)%len(reqs)]); err != nil || out != broker.Hit {
						b.Errorf("hot path: %v %v", out, err)
						return
					}
				}
			})
		}
		wg.Wait()
		return time.Since(start)
	}
	var loneT, sharedT time.Duration
	ops0 := st.Ops()
	b.ResetTimer()
	for range b.N {
		loneT += serve(lone)
		sharedT += serve(shared)
	}
	tokens := float64(b.N * batch)
	b.ReportMetric(float64(loneT.Nanoseconds())/tokens, "lone-ns/token")
	b.ReportMetric(float64(sharedT.Nanoseconds())/tokens, "replica-ns/token")
	b.ReportMetric(float64(loneT)/float64(sharedT), "ratio")
	b.ReportMetric(float64(st.Ops()-ops0)/tokens, "redis-ops/token")
}

// BenchmarkColdFanIn1000: 1000 callers of one cold session spread over
// three replicas; mints/op is how many upstream mints that cost (want 1),
// redis-ops/op the Redis operations of the whole fan-in.
func BenchmarkColdFanIn1000(b *testing.B) {
	c := newCluster(b)
	src := &counting{}
	var brs []*broker.Broker
	var sts []*replica.Store
	for range 3 {
		st := benchStore(b, c)
		sts = append(sts, st)
		brs = append(brs, benchBroker(b, src, st))
	}
	opsOf := func() (n int64) {
		for _, st := range sts {
			n += st.Ops()
		}
		return n
	}
	ops0 := opsOf()
	b.ResetTimer()
	for i := range b.N {
		r := broker.Request{App: "jwt", Session: "cold-" + strconv.Itoa(i)}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for j := range 1000 {
			wg.Go(func() {
				<-start
				if _, _, err := brs[j%3].Token(context.Background(), r); err != nil {
					b.Error(err)
				}
			})
		}
		close(start)
		wg.Wait()
	}
	b.ReportMetric(float64(src.n.Load())/float64(b.N), "mints/op")
	b.ReportMetric(float64(opsOf()-ops0)/float64(b.N), "redis-ops/op")
}

// BenchmarkColdMint: one caller, a new session each time: the latency of
// a cold mint through the shared lock (acquire, publish) against a lone
// process, with an upstream that answers at once, so the difference is
// what the lock adds.
func BenchmarkColdMint(b *testing.B) {
	c := newCluster(b)
	st := benchStore(b, c)
	for _, tc := range []struct {
		name string
		st   *replica.Store
	}{{"lone", nil}, {"replica", st}} {
		b.Run(tc.name, func(b *testing.B) {
			br := benchBroker(b, &counting{}, tc.st)
			ops0 := st.Ops()
			b.ResetTimer()
			for i := range b.N {
				if _, _, err := br.Token(context.Background(), broker.Request{App: "jwt", Session: fmt.Sprint("m", i)}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(st.Ops()-ops0)/float64(b.N), "redis-ops/mint")
		})
	}
}
