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
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	l := NewListener(tcp)
	defer l.Close()
	client, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	nc, err := l.Accept()
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	for _, c := range []struct {
		name string
		conn net.Conn
	}{{"real", nc.(*Conn).Conn}, {"coarse", nc}} {
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
