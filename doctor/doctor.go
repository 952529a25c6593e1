package doctor

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
)

// Status is a check's outcome.
type Status string

// Check outcomes.
const (
	OK   Status = "ok"   // ✓
	Warn Status = "warn" // !: works, but worth fixing
	Fail Status = "fail" // ✗
	Skip Status = "skip" // not run: an earlier check failed
)

// Check is one line of the diagnosis.
type Check struct {
	ID        string   `json:"id"`   // config, key, public_key, ids, reach, clock, exchange
	Name      string   `json:"name"` // for people
	Status    Status   `json:"status"`
	Summary   string   `json:"summary"`
	Details   []string `json:"details,omitempty"`
	Cause     string   `json:"cause,omitempty"` // the likely cause of a failure or warning
	Fix       string   `json:"fix,omitempty"`   // what to do about it
	LogID     string   `json:"log_id,omitempty"`
	ElapsedMS int64    `json:"elapsed_ms,omitempty"` // network steps only
}

// Report is the whole diagnosis.
type Report struct {
	ConfigSource    string      `json:"config_source,omitempty"`
	App             string      `json:"app,omitempty"`
	Checks          []Check     `json:"checks"`
	TokenObtained   bool        `json:"token_obtained"`
	SuggestedRegion coze.Region `json:"suggested_region,omitempty"` // where the app was found instead
	OK              bool        `json:"ok"`                         // a token was obtained and no check failed
	Kind            config.Kind `json:"kind,omitempty"`             // the checked app's kind
	// NotChecked: the app is of a kind doctor cannot get a token for on
	// its own (web, PKCE and device apps need a user's login): its
	// configuration is checked, not a token. OK stays false.
	NotChecked bool `json:"not_checked,omitempty"`
}

// Options configures Run.
type Options struct {
	Config    config.Options         // where the configuration comes from
	App       string                 // app to check; "" for the default app
	PubFile   string                 // optional public key PEM to match against the private key
	Bases     map[coze.Region]string // API base per region for the other-region try; the public bases when absent
	HTTP      *http.Client           // its Transport is used; nil for a fresh transport per Run
	Timeout   time.Duration          // per network step; 10 s when zero
	UserAgent string                 // sent on every request
	// Called before a network step (to show a spinner) and after each
	// check (to print it as it completes), on Run's goroutine.
	OnStart func(label string)
	OnCheck func(Check)
}

// Run diagnoses the configured app. It never returns nil.
func Run(ctx context.Context, o Options) *Report {
	r := &runner{o: o, rep: &Report{Checks: []Check{}}}
	defer r.close()
	r.checkConfig()
	if r.app != nil && r.app.JWT == nil {
		r.checkOtherKind(ctx)
		return r.rep
	}
	r.checkKey()
	if o.PubFile != "" {
		r.checkPub()
	}
	r.checkIDs()
	r.checkReach(ctx)
	r.checkClock()
	r.checkExchange(ctx)
	r.rep.OK = r.rep.TokenObtained
	for _, c := range r.rep.Checks {
		if c.Status == Fail {
			r.rep.OK = false
		}
	}
	return r.rep
}

// runner carries what earlier checks learnt to later ones.
type runner struct {
	o       Options
	rep     *Report
	cfg     *config.Config
	app     *config.App
	appIdx  int
	buckets map[string][]*config.FieldError // the app's problems by kind: key, client_id, key_id
	idsOK   bool
	probe   *probeResult
	skew    *time.Duration // Coze's clock minus ours, when measured
	own     *http.Transport
}

func (r *runner) add(c Check) {
	r.rep.Checks = append(r.rep.Checks, c)
	if r.o.OnCheck != nil {
		r.o.OnCheck(c)
	}
}

func (r *runner) skip(id, name, why string) {
	r.add(Check{ID: id, Name: name, Status: Skip, Summary: "skipped: " + why})
}

func (r *runner) start(label string) {
	if r.o.OnStart != nil {
		r.o.OnStart(label)
	}
}

func (r *runner) timeout() time.Duration {
	if r.o.Timeout > 0 {
		return r.o.Timeout
	}
	return 10 * time.Second
}

// transport is the round tripper every network step uses.
func (r *runner) transport() http.RoundTripper {
	if r.o.HTTP != nil {
		if r.o.HTTP.Transport != nil {
			return r.o.HTTP.Transport
		}
		return http.DefaultTransport
	}
	if r.own == nil {
		r.own = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: 10 * time.Second,
			ForceAttemptHTTP2:     true,
		}
	}
	return r.own
}

func (r *runner) close() {
	if r.own != nil {
		r.own.CloseIdleConnections()
	}
}

// base is the API base of region reg for the other-region try.
func (r *runner) base(reg coze.Region) string {
	if b, ok := r.o.Bases[reg]; ok && b != "" {
		return b
	}
	return reg.APIBase()
}
