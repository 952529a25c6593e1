package grant

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
)

// BenchmarkFilePut measures one durable login write (one fsync).
func BenchmarkFilePut(b *testing.B) {
	_, s := newFileB(b)
	defer s.Close()
	ctx := context.Background()
	i := 0
	for b.Loop() {
		if err := s.Put(ctx, sample("web", fmt.Sprint("user-", i%1000))); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkFileSwap measures saving a rotated refresh token: read,
// compare, write, fsync.
func BenchmarkFileSwap(b *testing.B) {
	_, s := newFileB(b)
	defer s.Close()
	ctx := context.Background()
	g := sample("web", "alice")
	if err := s.Put(ctx, g); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		next := g.clone()
		if err := s.Swap(ctx, g, next); err != nil {
			b.Fatal(err)
		}
		g = next
	}
}

// BenchmarkFileGet measures reading and unsealing one grant.
func BenchmarkFileGet(b *testing.B) {
	_, s := newFileB(b)
	defer s.Close()
	ctx := context.Background()
	if err := s.Put(ctx, sample("web", "alice")); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Get(ctx, "web", "alice"); err != nil {
			b.Fatal(err)
		}
	}
}

func newFileB(b *testing.B) (string, *FileStore) {
	path := b.TempDir() + "/" + DefaultFileName
	s, err := OpenFile(path, ringA(b))
	if err != nil {
		b.Fatal(err)
	}
	return path, s
}

// BenchmarkFileSwapParallel measures rotated refresh tokens saved by many
// refreshers at once, each on its own grant (-cpu sets how many).
func BenchmarkFileSwapParallel(b *testing.B) {
	_, s := newFileB(b)
	defer s.Close()
	ctx := context.Background()
	var n atomicCounter
	b.SetParallelism(32)
	b.RunParallel(func(pb *testing.PB) {
		g := sample("web", fmt.Sprint("user-", n.next()))
		if err := s.Put(ctx, g); err != nil {
			b.Error(err)
			return
		}
		for pb.Next() {
			next := g.clone()
			if err := s.Swap(ctx, g, next); err != nil {
				b.Error(err)
				return
			}
			g = next
		}
	})
}

type atomicCounter struct{ n atomic.Int64 }

func (c *atomicCounter) next() int64 { return c.n.Add(1) }
