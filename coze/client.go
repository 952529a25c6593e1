package coze

import (
	"net"
	"net/http"
	"time"
)

// Defaults for Client.
const (
	DefaultTimeout  = 10 * time.Second
	DefaultAttempts = 3
	maxBody         = 1 << 20
)

// Client sends requests to Coze's OAuth endpoints. The zero value is ready
// to use; it is safe for concurrent use.
type Client struct {
	HTTP      *http.Client  // nil: a client with sane timeouts
	Timeout   time.Duration // per attempt; DefaultTimeout when zero
	Retry     Backoff       // when a request may be sent again: see Exchange
	UserAgent string
}

var defaultHTTP = &http.Client{Transport: &http.Transport{
	Proxy:                 http.ProxyFromEnvironment,
	DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	TLSHandshakeTimeout:   5 * time.Second,
	ResponseHeaderTimeout: 15 * time.Second,
	MaxIdleConnsPerHost:   64,
	IdleConnTimeout:       90 * time.Second,
	ForceAttemptHTTP2:     true,
}}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultHTTP
}

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}
