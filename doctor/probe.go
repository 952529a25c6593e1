package doctor

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"time"
)

// probeResult is what one plain request to the API host taught.
type probeResult struct {
	date time.Time // Coze's Date header; zero when absent
	mid  time.Time // our clock half way through the round trip
}

// timings collects httptrace events; connects may race (Happy Eyeballs).
type timings struct {
	mu                         sync.Mutex
	dnsStart, connStart, tlsAt time.Time
	dns, connect, tls, first   time.Duration
	tlsVersion                 string
	reused                     bool
}

func (t *timings) trace(start time.Time) *httptrace.ClientTrace {
	lock := func(f func()) { t.mu.Lock(); defer t.mu.Unlock(); f() }
	return &httptrace.ClientTrace{
		DNSStart: func(httptrace.DNSStartInfo) { lock(func() { t.dnsStart = time.Now() }) },
		DNSDone:  func(httptrace.DNSDoneInfo) { lock(func() { t.dns = time.Since(t.dnsStart) }) },
		ConnectStart: func(string, string) {
			lock(func() {
				if t.connStart.IsZero() {
					t.connStart = time.Now()
				}
			})
		},
		ConnectDone: func(_, _ string, err error) {
			lock(func() {
				if err == nil && t.connect == 0 {
					t.connect = time.Since(t.connStart)
				}
			})
		},
		TLSHandshakeStart: func() { lock(func() { t.tlsAt = time.Now() }) },
		TLSHandshakeDone: func(cs tls.ConnectionState, err error) {
			lock(func() {
				if err == nil {
					t.tls = time.Since(t.tlsAt)
					t.tlsVersion = tls.VersionName(cs.Version)
				}
			})
		},
		GotConn:              func(i httptrace.GotConnInfo) { lock(func() { t.reused = i.Reused }) },
		GotFirstResponseByte: func() { lock(func() { t.first = time.Since(start) }) },
	}
}

func (t *timings) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var parts []string
	if t.reused {
		parts = append(parts, "reused connection")
	}
	if t.dns > 0 {
		parts = append(parts, "DNS "+ms(t.dns))
	}
	if t.connect > 0 {
		parts = append(parts, "connect "+ms(t.connect))
	}
	if t.tls > 0 {
		parts = append(parts, t.tlsVersion+" "+ms(t.tls))
	}
	parts = append(parts, "first byte "+ms(t.first))
	return strings.Join(parts, ", ")
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// checkReach sends one plain GET to the API host: any HTTP answer means it
// is reachable. The answer's Date header serves the clock check.
func (r *runner) checkReach(ctx context.Context) {
	const id, name = "reach", "Coze API reachable"
	if r.app == nil {
		r.skip(id, name, "no app to check")
		return
	}
	c := Check{ID: id, Name: name, Status: Fail}
	u, err := url.Parse(r.app.APIBase)
	if err != nil || u.Host == "" {
		c.Summary = fmt.Sprintf("API base %q is not a URL", r.app.APIBase)
		c.Fix = "set region (cn or com), or api_base to https://api.coze.cn or https://api.coze.com"
		r.add(c)
		return
	}
	r.start("reaching " + u.Host)
	ctx, cancel := context.WithTimeout(ctx, r.timeout())
	defer cancel()
	start := time.Now()
	var t timings
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, t.trace(start)), http.MethodGet, strings.TrimRight(r.app.APIBase, "/")+"/", nil)
	if r.o.UserAgent != "" {
		req.Header.Set("User-Agent", r.o.UserAgent)
	}
	via := ""
	if r.o.HTTP == nil {
		if p, _ := http.ProxyFromEnvironment(req); p != nil {
			via = " via proxy " + p.Host
		}
	}
	client := &http.Client{Transport: r.transport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	elapsed := time.Since(start)
	c.ElapsedMS = elapsed.Milliseconds()
	if err != nil {
		c.Summary, c.Cause, c.Fix = explainNet(err, r.app.APIBase, via, r.timeout())
		r.add(c)
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	p := &probeResult{mid: start.Add(elapsed / 2)}
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		p.date = d
	}
	r.probe = p
	c.Status = OK
	c.Summary = fmt.Sprintf("%s%s answered in %s (HTTP %d; %s)", u.Host, via, ms(elapsed), resp.StatusCode, t.String())
	r.add(c)
}

// Clock skew limits: Coze checks iat and exp against its own clock.
const (
	SkewWarn = 30 * time.Second
	SkewFail = 5 * time.Minute
)

// checkClock compares our clock with the Date header of the probe.
func (r *runner) checkClock() {
	const id, name = "clock", "clock"
	switch {
	case r.app == nil:
		r.skip(id, name, "no app to check")
		return
	case r.probe == nil:
		r.skip(id, name, "Coze did not answer")
		return
	case r.probe.date.IsZero():
		r.add(Check{ID: id, Name: name, Status: Warn, Summary: "Coze's answer had no Date header: cannot compare clocks"})
		return
	}
	// Date is whole seconds, truncated: the true time is half a second on.
	skew := r.probe.date.Add(500 * time.Millisecond).Sub(r.probe.mid).Round(time.Second)
	r.skew = &skew
	c := Check{ID: id, Name: name, Status: OK}
	abs := max(skew, -skew)
	if abs <= time.Second {
		c.Summary = "local clock agrees with Coze's (Date header, within 1 s)"
		r.add(c)
		return
	}
	c.Summary = "local clock is " + describeSkew(skew) + " (Date header)"
	fix := "turn on network time sync: `sudo timedatectl set-ntp true` (Linux), or set date and time automatically (macOS, Windows); in a container or VM, fix the host's clock"
	switch {
	case abs > SkewFail:
		c.Status = Fail
		c.Cause = "Coze checks the assertion's iat and exp against its own clock: from a clock this far off every assertion is refused (expired, or issued in the future)"
		c.Fix = fix
	case abs > SkewWarn:
		c.Status = Warn
		c.Cause = "Coze tolerates little clock skew on iat and exp; this is close to the limit"
		c.Fix = fix
	}
	r.add(c)
}

// describeSkew says how our clock stands against Coze's, given Coze's
// minus ours.
func describeSkew(skew time.Duration) string {
	if skew > 0 {
		return fmtDur(skew) + " behind Coze's"
	}
	return fmtDur(-skew) + " ahead of Coze's"
}

func fmtDur(d time.Duration) string {
	m, s := int(d/time.Minute), int(d%time.Minute/time.Second)
	switch {
	case d < 2*time.Minute:
		return fmt.Sprintf("%d s", int(d/time.Second))
	case s == 0:
		return fmt.Sprintf("%d min", m)
	}
	return fmt.Sprintf("%d min %d s", m, s)
}
