package prom

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

func scrape(t *testing.T, m *Meter) string {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(w.Body)
	return string(b)
}

// TestEventsBecomeSeries: each Meter event lands in its series with
// bounded labels; Coze's unknown error codes become "other".
func TestEventsBecomeSeries(t *testing.T) {
	m := New()
	m.Mint("bot", "refresh", 20*time.Millisecond, nil)
	m.Mint("bot", "request", time.Second, &coze.Error{Status: 400, Code: "made_up_code_with_user_42"})
	m.Mint("bot", "request", time.Second, errors.New("dial tcp: refused"))
	m.Redis("get", time.Millisecond, nil)
	m.Redis("set", time.Millisecond, errors.New("READONLY"))
	m.Streams(1)
	m.Streams(1)
	m.Streams(-1)
	m.AuditDropped(3)
	m.WatchGrants(func(context.Context) (map[string]int, error) {
		return map[string]int{"active": 2, "needs_login": 1}, nil
	})
	text := scrape(t, m)
	for _, want := range []string{
		`cozeauth_upstream_mints_total{app="bot",reason="refresh",result="ok"} 1`,
		`cozeauth_upstream_mints_total{app="bot",reason="request",result="error"} 2`,
		`cozeauth_upstream_errors_total{app="bot",error_code="other"} 1`,
		`cozeauth_upstream_errors_total{app="bot",error_code="no_answer"} 1`,
		`cozeauth_upstream_mint_seconds_count{app="bot",reason="request"} 2`,
		`cozeauth_redis_operations_total{op="get",result="ok"} 1`,
		`cozeauth_redis_operations_total{op="set",result="error"} 1`,
		`cozeauth_gateway_open_streams 1`,
		`cozeauth_audit_dropped_lines_total 3`,
		`cozeauth_grants{state="active"} 2`,
		`cozeauth_grants{state="needs_login"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	if strings.Contains(text, "made_up_code") {
		t.Error("an unknown Coze error code became a label")
	}
}

// TestGrantsFailureKeepsTheRest: a grant store that cannot be read
// leaves the other metrics served.
func TestGrantsFailureKeepsTheRest(t *testing.T) {
	m := New()
	m.WatchGrants(func(context.Context) (map[string]int, error) { return nil, errors.New("store closed") })
	m.Reload("applied")
	text := scrape(t, m)
	if !strings.Contains(text, `cozeauth_reloads_total{result="applied"} 1`) || !strings.Contains(text, "go_goroutines") {
		t.Fatalf("scrape with a failing grant store:\n%s", text)
	}
}

// Token requests counted from many goroutines at once, some label sets
// new (added to the meter's own map while others read it), all land in
// their series.
func TestTokenCountsConcurrently(t *testing.T) {
	m := New()
	outcomes := []string{"hit", "mint", "denied", "error"}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				m.Token("app", "p"+strconv.Itoa(i%3), outcomes[(g+i)%len(outcomes)], "")
			}
		})
	}
	wg.Wait()
	text := scrape(t, m)
	total := 0
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "cozeauth_token_requests_total{") {
			n, err := strconv.Atoi(line[strings.LastIndexByte(line, ' ')+1:])
			if err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			total += n
		}
	}
	if total != 8000 {
		t.Fatalf("token requests counted: %d, want 8000", total)
	}
	if !strings.Contains(text, `cozeauth_token_requests_total{app="app",code="",outcome="hit",policy="p0"}`) {
		t.Fatal("a label set is missing from the scrape")
	}
}
