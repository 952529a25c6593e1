package replica

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultTimeout bounds each Redis answer when the URL sets no timeout.
const DefaultTimeout = 250 * time.Millisecond

// ParseURL reads a store URL into go-redis's UniversalOptions and the
// bound on each Redis answer. The forms:
//
//	redis://[user:password@]host:6379[/db]             one server
//	rediss://[user:password@]host:6379[/db]            one server over TLS
//	redis-sentinel://[user:password@]s1:26379[/db]?master_name=mymaster&addr=s2:26379
//	                                                   Sentinel (user:password: the sentinels'; password=… for the master)
//	redis-cluster://[user:password@]n1:6379?addr=n2:6379&addr=n3:6379
//	                                                   Cluster (any seed nodes)
//
// (rediss-sentinel:// and rediss-cluster:// for TLS). Query parameters
// are go-redis's (dial_timeout, pool_size, skip_verify, …) plus
// timeout=250ms, the bound on every Redis answer. Errors never hold the
// password.
func ParseURL(raw string) (*redis.UniversalOptions, time.Duration, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, 0, fmt.Errorf("store URL is not a URL; write e.g. redis://redis:6379/0")
	}
	shown := Redact(raw)
	timeout := DefaultTimeout
	q := u.Query()
	if t := q.Get("timeout"); t != "" {
		d, err := time.ParseDuration(t)
		if err != nil || d <= 0 || d > time.Minute {
			return nil, 0, fmt.Errorf("store URL %s: timeout=%q: write a duration such as 250ms (at most 1m)", shown, t)
		}
		timeout = d
		q.Del("timeout")
		u.RawQuery = q.Encode()
	}
	scheme, mode, _ := strings.Cut(u.Scheme, "-")
	if scheme != "redis" && scheme != "rediss" {
		return nil, 0, fmt.Errorf("store URL %s: scheme %q: use redis://, rediss://, redis-sentinel:// or redis-cluster://", shown, u.Scheme)
	}
	u.Scheme = scheme
	o := &redis.UniversalOptions{}
	switch mode {
	case "":
		so, err := redis.ParseURL(u.String())
		if err != nil {
			return nil, 0, parseErr(shown, u, err)
		}
		o.Addrs, o.Username, o.Password, o.DB, o.TLSConfig = []string{so.Addr}, so.Username, so.Password, so.DB, so.TLSConfig
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolSize, o.MaxRetries = so.DialTimeout, so.ReadTimeout, so.WriteTimeout, so.PoolSize, so.MaxRetries
		o.ClientName = so.ClientName
	case "sentinel":
		fo, err := redis.ParseFailoverURL(u.String())
		if err != nil {
			return nil, 0, parseErr(shown, u, err)
		}
		if fo.MasterName == "" {
			return nil, 0, fmt.Errorf("store URL %s: a Sentinel URL needs ?master_name=NAME (the name the sentinels monitor)", shown)
		}
		o.Addrs, o.MasterName, o.SentinelUsername, o.SentinelPassword = fo.SentinelAddrs, fo.MasterName, fo.SentinelUsername, fo.SentinelPassword
		o.Username, o.Password, o.DB, o.TLSConfig = fo.Username, fo.Password, fo.DB, fo.TLSConfig
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolSize, o.MaxRetries = fo.DialTimeout, fo.ReadTimeout, fo.WriteTimeout, fo.PoolSize, fo.MaxRetries
		o.ClientName = fo.ClientName
	case "cluster":
		co, err := redis.ParseClusterURL(u.String())
		if err != nil {
			return nil, 0, parseErr(shown, u, err)
		}
		o.Addrs, o.Username, o.Password, o.TLSConfig, o.IsClusterMode = co.Addrs, co.Username, co.Password, co.TLSConfig, true
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolSize, o.MaxRetries = co.DialTimeout, co.ReadTimeout, co.WriteTimeout, co.PoolSize, co.MaxRetries
		o.ClientName = co.ClientName
	default:
		return nil, 0, fmt.Errorf("store URL %s: scheme %q: use redis://, rediss://, redis-sentinel:// or redis-cluster://", shown, u.Scheme)
	}
	// Bound every call by its context (Options.Timeout), and fail over to
	// this process alone rather than retry against a Redis that is down.
	o.ContextTimeoutEnabled = true
	o.MaxRetries = -1
	if o.DialTimeout == 0 || o.DialTimeout > timeout {
		o.DialTimeout = max(timeout, 100*time.Millisecond)
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = timeout
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = timeout
	}
	return o, timeout, nil
}

// parseErr explains a URL go-redis refused. Its message may quote parts
// of the URL; one that could hold a password (an '@', the user info, a
// password parameter) is replaced by a generic one.
func parseErr(shown string, u *url.URL, err error) error {
	msg := strings.TrimPrefix(err.Error(), "redis: ")
	var ue *url.Error
	secret := errors.As(err, &ue) || strings.Contains(msg, "@")
	if u.User != nil && u.User.String() != "" && strings.Contains(msg, u.User.String()) {
		secret = true
	}
	for _, k := range []string{"password", "sentinel_password"} {
		if v := u.Query().Get(k); v != "" && strings.Contains(msg, v) {
			secret = true
		}
	}
	if pw, ok := u.User.Password(); ok && pw != "" && strings.Contains(msg, pw) {
		secret = true
	}
	if secret {
		msg = "malformed (host, database or options)"
	}
	return fmt.Errorf("store URL %s: %s; see the README section \"Several replicas\" for the URL forms", shown, msg)
}

// Redact returns the store URL for logs and errors: scheme, user, host
// and database only, the password replaced by "xxxxx", no query (it may
// hold passwords) or anything else.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.Opaque != "" || u.Host == "" {
		return u.Scheme + "://(not shown)"
	}
	out := &url.URL{Scheme: u.Scheme, Host: u.Host}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			out.User = url.UserPassword(u.User.Username(), "xxxxx")
		} else {
			out.User = url.User(u.User.Username())
		}
	}
	if db := strings.Trim(u.Path, "/"); db != "" && strings.Trim(db, "0123456789") == "" {
		out.Path = "/" + db
	}
	return out.String()
}
