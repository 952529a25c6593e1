package compat

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/server"
)

// TestBrowserDemoChat opens the demo chat page in headless Chromium: it
// gets a token through /client.js (one token request), shows it counting
// down, and streams the emulator's reply through the gateway. Screenshots
// of the page (desktop and phone widths) are left as test artifacts.
func TestBrowserDemoChat(t *testing.T) {
	chromium := needChromium(t)
	t.Parallel()
	cz := newCozeTestbed(t)
	var tc tokenCounter
	gw := startCozeauth(t, cz, "", server.Options{DemoChat: true}, tc.wrap)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	tab, console := newTab(t, ctx, chromium)

	if err := chromedp.Do(tab, chromedp.Navigate(gw+server.DemoChatPath), chromedp.WaitVisible(chromedp.ID("input"))); err != nil {
		t.Fatalf("the demo page did not show: %v", err)
	}
	if _, err := chromedp.Run(tab, chromedp.Poll[bool](`demoTokens.expiresAt() > 0`, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("the demo page got no token: %v (console: %q)", err, console.all())
	}
	for i, msg := range []string{"Hello from Chromium!", "Does the token refresh by itself?"} {
		if err := chromedp.Do(tab, chromedp.SendKeys(chromedp.ID("input"), msg), chromedp.Click(chromedp.ID("send"))); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Run(tab, chromedp.Poll[bool](fmt.Sprintf(`demoStats.replies + demoStats.failed >= %d`, i+1), chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			t.Fatalf("no reply to message %d: %v", i+1, err)
		}
		reply, err := evalJS[string](tab, `[...document.querySelectorAll('.msg.bot')].pop().textContent`)
		if err != nil || reply != "You said: "+msg {
			t.Errorf("the bot's reply reads %q (%v), want %q", reply, err, "You said: "+msg)
		}
	}
	stats, err := evalJS[map[string]float64](tab, `demoStats`)
	if err != nil || stats["replies"] != 2 || stats["failed"] != 0 {
		t.Errorf("demo stats %v (%v): want 2 replies, none failed", stats, err)
	}
	left, err := evalJS[string](tab, `document.getElementById('left').textContent`)
	if err != nil || !regexp.MustCompile(`^[01]:[0-5][0-9]$`).MatchString(left) {
		t.Errorf("the countdown shows %q (%v), want m:ss within the 60-second lifetime", left, err)
	}
	reqs := tc.all()
	if len(reqs) != 1 || reqs[0].status != 200 || reqs[0].origin != gw {
		t.Errorf("token requests %+v: want one, answered 200, from the page's origin %s", reqs, gw)
	}
	if life := time.Until(reqs[0].expires); life > 61*time.Second {
		t.Errorf("the demo's token lasts %v: the page asks for 60 s", life)
	}
	for _, l := range console.all() {
		if strings.Contains(l, reqs[0].token) || strings.Contains(l, "czs_") {
			t.Errorf("the console shows a token: %q", l)
		}
	}
	screenshot(t, tab, "demo-chat.png")
	if err := chromedp.Do(tab, chromedp.EmulateViewport(390, 760, chromedp.EmulateScale(2), chromedp.EmulateMobile)); err == nil {
		screenshot(t, tab, "demo-chat-phone.png")
	}
}

// chatLines are what the long chat says, in turn (%d: the message's number).
var chatLines = []string{"Hi! Can you help me pick a gift? (%d)", "Something for a friend who loves hiking (%d)",
	"Under 50 dollars, please (%d)", "Does it come in green? (%d)", "Great, thanks! (%d)"}

// TestBrowserTokenLifetimes keeps the demo chat going in headless Chromium
// across three lifetimes of 60-second tokens, in real time (about three
// minutes, in parallel with the other tests), while 16 SDK callers at once
// (the Chat SDK's onRefreshToken and the API SDK's token function) ask the
// page's provider for a token before each message. No request fails, every
// token handed to a caller is accepted by Coze (the emulator, which refuses
// expired tokens) and has at least 9 s left, and the server counts exactly
// one token request per token lifetime: each asked after the previous
// token reached its refresh point (a quarter of its life or 10 s before
// expiry) and before it expired, each answered with a new token.
func TestBrowserTokenLifetimes(t *testing.T) {
	chromium := needChromium(t)
	if testing.Short() {
		t.Skip("runs three 60-second token lifetimes in real time")
	}
	t.Parallel()
	const (
		life      = 60 * time.Second
		lifetimes = 3
		callers   = 16
	)
	cz := newCozeTestbed(t)
	var tc tokenCounter
	gw := startCozeauth(t, cz, "", server.Options{DemoChat: true}, tc.wrap)
	ctx, cancel := context.WithTimeout(t.Context(), lifetimes*life+2*time.Minute)
	defer cancel()
	tab, console := newTab(t, ctx, chromium)
	if err := chromedp.Do(tab, chromedp.Navigate(gw+server.DemoChatPath), chromedp.WaitVisible(chromedp.ID("input"))); err != nil {
		t.Fatalf("the demo page did not show: %v", err)
	}
	start := time.Now()
	checked := map[string]bool{}
	calls, messages, refreshShot := 0, 0, false
	for time.Since(start) < lifetimes*life+5*time.Second {
		messages++
		type handed struct {
			Token string  `json:"token"`
			Left  float64 `json:"left"` // ms the token had left when handed out
		}
		got, err := evalJS[[]handed](tab, fmt.Sprintf(`(async () => {
  const p = demoTokens;
  const toks = await Promise.all([...Array(%d)].map((_, i) => i %% 2 ? p.onRefreshToken() : p.sdkToken()));
  const left = p.expiresAt() - Date.now();
  await demoChat(%q);
  return toks.map(token => ({token, left}));
})()`, callers, fmt.Sprintf(chatLines[messages%len(chatLines)], messages)))
		if err != nil {
			t.Fatalf("message %d: a caller's token request failed: %v", messages, err)
		}
		calls += len(got)
		for _, h := range got {
			if h.Left < 9000 {
				t.Errorf("message %d: a caller was handed a token with %.1f s left", messages, h.Left/1000)
			}
			if !checked[h.Token] {
				checked[h.Token] = true
				if !cz.valid(t, h.Token) {
					t.Errorf("message %d: Coze refused a token the page handed to a caller", messages)
				}
			}
		}
		if !refreshShot {
			if n, err := evalJS[float64](tab, `demoStats.refreshes`); err == nil && n > 0 {
				refreshShot = true
				screenshot(t, tab, "demo-chat-refreshed.png")
			}
		}
		time.Sleep(time.Second) // pacing only: a person typing
	}
	stats, err := evalJS[map[string]float64](tab, `demoStats`)
	if err != nil || stats["failed"] != 0 || stats["replies"] != float64(messages) {
		t.Errorf("demo stats %v (%v): want %d replies, none failed", stats, err, messages)
	}
	reqs := tc.all()
	seen := map[string]bool{}
	for i, r := range reqs {
		if r.status != 200 || r.origin != gw || seen[r.token] {
			t.Errorf("token request %d: status %d, origin %q, repeated token %v", i, r.status, r.origin, seen[r.token])
		}
		seen[r.token] = true
		if got := r.expires.Sub(r.at); got < life-2*time.Second || got > life+5*time.Second {
			t.Errorf("token request %d: a token of %v, want %v", i, got, life)
		}
		if i == 0 {
			continue
		}
		prev := reqs[i-1]
		if !r.at.Before(prev.expires) {
			t.Errorf("token request %d came %v after the previous token expired", i, r.at.Sub(prev.expires))
		}
		if r.at.Before(prev.expires.Add(-life / 4)) {
			t.Errorf("token request %d came %v before the previous token's expiry: a second request in one lifetime", i, prev.expires.Sub(r.at))
		}
	}
	if len(reqs) < lifetimes+1 {
		t.Errorf("%d token requests over %v: want the chat to span %d lifetimes", len(reqs), time.Since(start).Round(time.Second), lifetimes)
	}
	// The gateway holds a token of its own (the default session's) for the chats.
	if n := cz.emu.Mints() - cz.emu.MintsFor("1170000000000", config.DefaultSession); n != len(reqs) {
		t.Errorf("Coze minted %d tokens for the page's %d token requests", n, len(reqs))
	}
	if stats["refreshes"] != float64(len(reqs)-1) {
		t.Errorf("the page showed %v refreshes, the server answered %d token requests", stats["refreshes"], len(reqs))
	}
	for _, l := range console.all() {
		if strings.Contains(l, "czs_") {
			t.Errorf("the console shows a token: %q", l)
		}
	}
	t.Logf("%d messages, %d SDK token calls, %d token requests over %v", messages, calls, len(reqs), time.Since(start).Round(time.Second))
	screenshot(t, tab, "demo-chat-3-lifetimes.png")
}
