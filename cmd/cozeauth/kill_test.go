package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/emulator"
	"github.com/cozeauth/cozeauth/grant"
)

// childArgsEnv, when set, makes the test binary run cozeauth with these
// arguments (JSON) instead of the tests: the kill test's serve process.
const childArgsEnv = "COZEAUTH_TEST_CHILD_ARGS"

func TestMain(m *testing.M) {
	if raw := os.Getenv(childArgsEnv); raw != "" {
		var args []string
		if err := json.Unmarshal([]byte(raw), &args); err != nil {
			fmt.Fprintln(os.Stderr, "bad", childArgsEnv, err)
			os.Exit(2)
		}
		os.Exit(run(context.Background(), args, os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// startChild starts `cozeauth args...` as a process of its own and
// answers its base URL once it listens.
func startChild(t *testing.T, args ...string) (*exec.Cmd, string) {
	t.Helper()
	raw, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childArgsEnv+"="+string(raw))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb lockedBuffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case base := <-found:
		return cmd, base
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("serve did not start:\n%s", errb.String())
	}
	return nil, ""
}

// TestKillDuringRefresh kills serve with SIGKILL again and again while
// callers make it redeem a user's rotating refresh token, and restarts it
// on the same grant store. The store always opens, and after every
// restart the grant works, except when the kill fell in the one window
// the protocol leaves: after Coze rotated the token and before the new
// one reached the disk. Such a loss is counted (the stored token is one
// Coze has spent); serve then answers needs_login after exactly one
// refused redemption, never a loop. No refresh token is ever redeemed
// twice but for those losses.
func TestKillDuringRefresh(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills serve many times")
	}
	emu, cfg, data := deviceLoginSetup(t, emulator.ApproveAuto)
	const subject = "kitchen"
	putGrant := func(rt string) {
		t.Helper()
		s := openTestStore(t, data)
		defer s.Close()
		now := time.Now().UTC()
		if err := s.Put(t.Context(), &grant.Grant{App: "tv", Subject: subject, RefreshToken: rt, State: grant.Active, CreatedAt: now, RefreshedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	putGrant(emu.IssueRefreshToken(deviceClient, emulator.DefaultUser))

	const cycles = 12
	hc := &http.Client{Timeout: 10 * time.Second}
	ask := func(base string) (int, string) {
		req, _ := http.NewRequest("POST", base+"/token", strings.NewReader(`{"app":"tv"}`))
		req.Header.Set("X-User-ID", subject)
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	losses, served := 0, 0
	for i := range cycles {
		cmd, base := startChild(t, "serve", "--config", cfg, "--listen", "127.0.0.1:0", "--data-dir", data)
		// Coze takes a while to answer, so that kills land before, during
		// and after the redemption.
		lat := time.Duration(rand.IntN(20)) * time.Millisecond
		emu.Inject(emulator.Fault{Latency: lat})
		var wg sync.WaitGroup
		var got sync.Map
		for j := range 4 {
			wg.Go(func() { st, _ := ask(base); got.Store(j, st) })
		}
		kd := time.Duration(rand.IntN(150)) * time.Millisecond
		time.Sleep(kd)
		_ = cmd.Process.Kill() // SIGKILL: no defer, no flush, no goodbye
		_ = cmd.Wait()
		wg.Wait()
		emu.ClearFaults()
		// Let the emulator finish with requests of the dead process (a
		// cancelled request ends its latency early and redeems nothing).
		time.Sleep(100 * time.Millisecond)

		s := openTestStore(t, data) // the store survives every kill
		g, err := s.Get(t.Context(), "tv", subject)
		s.Close()
		if err != nil || g.State != grant.Active {
			t.Fatalf("cycle %d: grant after the kill: %v %v", i, g, err)
		}
		spent := emu.RefreshRedemptions(g.RefreshToken) > 0
		var sts []any
		handed := false
		got.Range(func(k, v any) bool {
			sts = append(sts, v)
			if v == 200 {
				served++
				handed = true
			}
			return true
		})
		if handed && spent {
			t.Fatalf("cycle %d: a token was handed out before the rotated refresh token was on disk", i)
		}
		t.Logf("cycle %d: Coze latency %v, killed after %v: stored token spent %v, answers before the kill %v", i, lat, kd, spent, sts)
		doublesBefore := emu.DoubleRedemptions()

		cmd, base = startChild(t, "serve", "--config", cfg, "--listen", "127.0.0.1:0", "--data-dir", data)
		status, body := ask(base)
		status2, _ := ask(base)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		switch {
		case !spent && (status != 200 || status2 != 200):
			t.Fatalf("cycle %d: the grant was intact but serve answered %d %s", i, status, body)
		case spent:
			// Lost in the window: one refused redemption, then needs_login
			// from cache, without asking Coze again.
			losses++
			if status != 403 || !strings.Contains(body, "needs_login") || status2 != 403 || emu.DoubleRedemptions() != doublesBefore+1 {
				t.Fatalf("cycle %d: spent token: %d %s, then %d; doubles %d→%d", i, status, body, status2, doublesBefore, emu.DoubleRedemptions())
			}
			putGrant(emu.IssueRefreshToken(deviceClient, emulator.DefaultUser)) // the user logs in again
		}
	}
	if d := emu.DoubleRedemptions(); d != losses {
		t.Fatalf("%d refresh tokens redeemed twice, but only %d kills fell in the protocol's window", d, losses)
	}
	t.Logf("%d kills: %d fell between Coze's rotation and the disk write (grant lost, user logs in again); %d tokens served before a kill; %d refreshes in all",
		cycles, losses, served, emu.MintsByGrant(emulator.GrantRefreshToken))
}

func openTestStore(t *testing.T, data string) *grant.FileStore {
	t.Helper()
	kr, _, err := grant.LoadKeyring(os.Getenv, "")
	if err != nil {
		t.Fatal(err)
	}
	s, err := grant.OpenFile(filepath.Join(data, grant.DefaultFileName), kr)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
