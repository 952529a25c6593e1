// Package redistest starts a real redis-server for tests, on a free
// loopback port with a temporary directory and no persistence, and stops
// it. Without redis-server on PATH the test is skipped, unless env CI is
// set, where it fails.
package redistest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Server is one redis-server process.
type Server struct {
	Port int
	dir  string
	cmd  *exec.Cmd
	tb   testing.TB
}

// Start runs redis-server for tb and stops it at the end of the test.
func Start(tb testing.TB) *Server {
	tb.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatal("redis-server is not on PATH (Debian package redis-server; .ci/run installs it)")
		}
		tb.Skip("redis-server is not on PATH; install the Debian package redis-server to run this test")
	}
	s := &Server{Port: freePort(tb), dir: tb.TempDir(), tb: tb}
	s.Start()
	tb.Cleanup(s.Stop)
	return s
}

// URL is the store URL of the server.
func (s *Server) URL() string { return "redis://127.0.0.1:" + strconv.Itoa(s.Port) + "/0" }

// Addr is host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// Start (re)starts the server on its port and waits until it answers.
func (s *Server) Start() {
	s.tb.Helper()
	s.cmd = exec.Command("redis-server", "--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", s.dir)
	out, err := os.Create(s.dir + "/redis.log")
	if err != nil {
		s.tb.Fatal(err)
	}
	s.cmd.Stdout, s.cmd.Stderr = out, out
	dieWithParent(s.cmd)
	if err := s.cmd.Start(); err != nil {
		s.tb.Fatalf("start redis-server: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if ping(s.Addr()) {
			return
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(s.dir + "/redis.log")
			s.tb.Fatalf("redis-server on port %d did not answer within 10s; its log:\n%s", s.Port, b)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop kills the server and waits for it to exit (idempotent).
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

func ping(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	fmt.Fprint(c, "PING\r\n")
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
}

func freePort(tb testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
