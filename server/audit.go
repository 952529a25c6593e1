package server

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/coze"
)

// audit writes one structured line per token handed out — who, under
// which policy, for which app, session and scope, until when, and whether
// it was a cache hit or a mint — never the token.
func (s *Server) audit(c *caller, req broker.Request, tok *coze.Token, out broker.Outcome) {
	if s.auditLog == nil {
		return
	}
	pol := ""
	if c.policy != nil {
		pol = c.policy.Name
	}
	s.auditLog.LogAttrs(nil, slog.LevelInfo, "token",
		slog.String("client", c.client), slog.String("policy", pol), slog.String("ip", c.ip),
		slog.String("app", req.App), slog.String("session", req.Session),
		slog.String("scope", scopeDigest(req.Scope)), slog.Int("duration", req.Duration),
		slog.Time("expires", tok.ExpiresAt), slog.String("source", out.String()))
}

// scopeDigest names a scope without spelling it out: "" for none.
func scopeDigest(s *coze.Scope) string {
	if s == nil {
		return ""
	}
	b, _ := json.Marshal(s)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

// BufferedWriter batches writes and flushes them every interval, so an
// audit line per request costs a memory copy, not a system call. Close
// flushes what is left. It is safe for concurrent use.
type BufferedWriter struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

// NewBufferedWriter flushes to w every interval.
func NewBufferedWriter(w io.Writer, interval time.Duration) *BufferedWriter {
	b := &BufferedWriter{w: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				b.Flush()
			case <-b.stop:
				b.Flush()
				return
			}
		}
	}()
	return b
}

// Write buffers p.
func (b *BufferedWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

// Flush writes out what is buffered.
func (b *BufferedWriter) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Flush()
}

// Close stops the flusher after a last flush.
func (b *BufferedWriter) Close() error {
	close(b.stop)
	<-b.done
	return nil
}
