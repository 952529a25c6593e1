package deadline

import (
	"net"
	"testing"
	"time"
)

// BenchmarkSetDeadline is one request's worth of the deadlines net/http
// sets with its timeouts on (head, end of head, answer, idle, end of
// idle), on a TCP connection as it is and through a Listener.
//
//	go test -run '^$' -bench SetDeadline ./internal/deadline
func BenchmarkSetDeadline(b *testing.B) {
	_, _, nc := accepted(b)
	for _, c := range []struct {
		name string
		conn net.Conn
	}{{"real", nc.Conn}, {"coarse", nc}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				now := time.Now()
				c.conn.SetReadDeadline(now.Add(5 * time.Second))
				c.conn.SetReadDeadline(time.Time{})
				c.conn.SetWriteDeadline(now.Add(30 * time.Second))
				c.conn.SetReadDeadline(now.Add(120 * time.Second))
				c.conn.SetReadDeadline(time.Time{})
			}
		})
	}
}
