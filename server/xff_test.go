package server

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/config"
)

func TestClientIPIsRightmostAcrossHeaderLines(t *testing.T) {
	const peer = "10.0.0.1"
	cases := []struct {
		name  string
		lines []string
		trust bool
		want  string
	}{
		{"no trust_proxy: the peer", []string{"9.9.9.9"}, false, peer},
		{"no header", nil, true, peer},
		{"one line", []string{"1.1.1.1, 2.2.2.2"}, true, "2.2.2.2"},
		{"proxy appended its own line (HAProxy)", []string{"6.6.6.6", "9.9.9.9"}, true, "9.9.9.9"},
		{"spoofed list, then the proxy's line", []string{"1.1.1.1, 6.6.6.6", "9.9.9.9"}, true, "9.9.9.9"},
		{"spaces", []string{"  1.1.1.1 ,   9.9.9.9  "}, true, "9.9.9.9"},
		{"IPv6", []string{"2001:DB8::1"}, true, "2001:db8::1"},
		{"IPv4-mapped IPv6", []string{"::ffff:9.9.9.9"}, true, "9.9.9.9"},
		{"malformed right-most: the peer, not the caller's entry", []string{"6.6.6.6, garbage"}, true, peer},
		{"trailing comma", []string{"6.6.6.6,"}, true, peer},
		{"empty last line", []string{"6.6.6.6", ""}, true, peer},
		{"with a port", []string{"9.9.9.9:80"}, true, peer},
		{"bracketed", []string{"[2001:db8::1]"}, true, peer},
		{"zone", []string{"fe80::1%eth0"}, true, peer},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = peer + ":5555"
			if tc.lines != nil {
				r.Header["X-Forwarded-For"] = tc.lines
			}
			if got := clientIP(r, tc.trust); got != tc.want {
				t.Fatalf("clientIP = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSpoofedForwardedLineCannotDodgePerIPLimit: behind a proxy that adds
// its own X-Forwarded-For line, a caller who sends a different address of
// its own on every request still shares one per-IP limit.
func TestSpoofedForwardedLineCannotDodgePerIPLimit(t *testing.T) {
	f := newEdgeFixture(t, false, func(a *config.Access) { a.TrustProxy = true })
	ok := 0
	start := time.Now()
	for i := range 20 {
		spoof := netip.AddrFrom4([4]byte{6, 6, 6, byte(i)}).String()
		status, _, _ := f.send(t, "POST", "/token", "", "", hdr("Origin", shopOrigin,
			"X-Forwarded-For", spoof, "X-Forwarded-For", "9.9.9.9"))
		if status == 200 {
			ok++
		}
	}
	// widget: 5/s burst 5: the burst plus what refilled while the loop ran
	// (a busy machine makes it run longer, never lets more through).
	if budget := 5 + int(5*time.Since(start).Seconds()) + 1; ok > budget {
		t.Fatalf("%d of 20 requests passed a 5/s burst 5 per-IP limit: the spoofed line chose the address", ok)
	}
	if a := f.audit.String(); !strings.Contains(a, "ip=9.9.9.9") || strings.Contains(a, "ip=6.6.6.") {
		t.Fatalf("audit does not name the proxy-recorded address:\n%s", a)
	}
}

// FuzzClientIP: with trust_proxy the answer is the right-most entry of all
// X-Forwarded-For lines joined, when that entry is an IP address, and the
// peer otherwise; without trust_proxy always the peer. Never a panic.
func FuzzClientIP(f *testing.F) {
	f.Add("1.1.1.1, 2.2.2.2", true)
	f.Add("6.6.6.6\n9.9.9.9", true)
	f.Add("6.6.6.6\n", true)
	f.Add("::ffff:1.2.3.4", true)
	f.Add("fe80::1%eth0", true)
	f.Add("1.2.3.4:80,", true)
	f.Add("9.9.9.9", false)
	f.Fuzz(func(t *testing.T, header string, trust bool) {
		const peer = "10.0.0.1"
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = peer + ":5555"
		lines := strings.Split(header, "\n")
		r.Header["X-Forwarded-For"] = lines
		got := clientIP(r, trust)
		want := peer
		if trust {
			joined := strings.Join(lines, ",")
			last := joined[strings.LastIndexByte(joined, ',')+1:]
			if ip, err := netip.ParseAddr(strings.TrimSpace(last)); err == nil && ip.Zone() == "" {
				want = ip.Unmap().String()
			}
		}
		if got != want {
			t.Fatalf("clientIP(%q, trust=%v) = %q, want %q", lines, trust, got, want)
		}
	})
}
