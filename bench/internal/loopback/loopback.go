package loopback

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// CheckURL accepts only http(s) URLs whose host is a loopback literal or
// "localhost".
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q: scheme must be http or https", raw)
	}
	if !Host(u.Hostname()) {
		return fmt.Errorf("%q: host %q is not loopback; the benchmark tools only target 127.0.0.0/8, ::1 or localhost", raw, u.Hostname())
	}
	return nil
}

// CheckFlag checks the URL given to a required flag (name with its dash,
// e.g. "-url"): it must be set and pass CheckURL; the error names the flag.
func CheckFlag(name, raw string) error {
	if raw == "" {
		return fmt.Errorf("%s is required", name)
	}
	if err := CheckURL(raw); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// Host reports whether h is "localhost" or a loopback IP literal.
func Host(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// CheckListen accepts only a host:port whose host is loopback.
func CheckListen(addr string) error {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if !Host(h) {
		return fmt.Errorf("%q: listen on a loopback address only", addr)
	}
	return nil
}

// Dial dials like net.Dialer but refuses a non-loopback peer ("localhost"
// could resolve elsewhere).
func Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if ta, ok := conn.RemoteAddr().(*net.TCPAddr); !ok || !ta.IP.IsLoopback() {
		conn.Close()
		return nil, fmt.Errorf("refusing non-loopback peer %v", conn.RemoteAddr())
	}
	return conn, nil
}

// Transport is a keep-alive HTTP/1.1 transport holding up to conns
// connections per host, dialling loopback peers only.
func Transport(conns int) *http.Transport {
	return &http.Transport{
		DialContext:         Dial,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
}

// Client wraps Transport(conns) with a per-request timeout (0: none) and
// follows no redirects.
func Client(conns int, timeout time.Duration) *http.Client {
	return &http.Client{
		Transport:     Transport(conns),
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
