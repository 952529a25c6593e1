package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/emulator"
	"github.com/cozeauth/cozeauth/grant"
)

const deviceClient = "1190000000003"

// deviceLoginSetup is an emulator with a device app approving as told, a
// config naming it, and a store key in the environment.
func deviceLoginSetup(t *testing.T, approve string) (emu *emulator.Server, cfg, dataDir string) {
	t.Helper()
	emu = emulator.New(emulator.Options{Approve: approve, DeviceInterval: time.Second})
	emu.AddDeviceApp(deviceClient)
	cz := httptest.NewServer(emu)
	t.Cleanup(cz.Close)
	dir := t.TempDir()
	cfg = writeConfig(t, dir, app{name: "tv", region: "cn", apiBase: cz.URL, clientID: deviceClient, extra: "    kind: device\n"})
	t.Setenv(grant.EnvStoreKey, grant.GenerateKey())
	return emu, cfg, filepath.Join(dir, "data")
}

// runLogin runs `cozeauth login` and, like the person at the screen,
// opens the page it shows (unless visit is false).
func runLogin(t *testing.T, ctx context.Context, visit bool, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	pr, pw := io.Pipe()
	var errb strings.Builder
	seen := make(chan struct{})
	go func() {
		defer close(seen)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			errb.WriteString(line + "\n")
			if u, ok := strings.CutPrefix(strings.TrimSpace(line), "http"); ok && visit {
				resp, err := http.Get("http" + u)
				if err == nil {
					resp.Body.Close()
				}
			}
		}
	}()
	var out strings.Builder
	code = run(ctx, append([]string{"login"}, args...), strings.NewReader(""), &out, pw)
	pw.Close()
	<-seen
	return out.String(), errb.String(), code
}

func storedGrants(t *testing.T, dataDir string) []grant.Meta {
	t.Helper()
	kr, _, err := grant.LoadKeyring(os.Getenv, "")
	if err != nil {
		t.Fatal(err)
	}
	s, err := grant.OpenFile(filepath.Join(dataDir, grant.DefaultFileName), kr)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ms, err := s.List(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// TestDeviceLoginStoresTheGrant: the person approves on the page shown;
// the grant is stored for the subject, and Coze's refresh token works.
func TestDeviceLoginStoresTheGrant(t *testing.T) {
	emu, cfg, data := deviceLoginSetup(t, emulator.ApproveAuto)
	out, errOut, code := runLogin(t, t.Context(), true, "--config", cfg, "--app", "tv", "--subject", "living-room", "--data-dir", data)
	if code != 0 || !strings.Contains(out, "connected: app tv, subject living-room") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "code: ") {
		t.Fatalf("no user code shown:\n%s", errOut)
	}
	ms := storedGrants(t, data)
	if len(ms) != 1 || ms[0].App != "tv" || ms[0].Subject != "living-room" || ms[0].State != grant.Active {
		t.Fatalf("stored %+v", ms)
	}
	if emu.MintsByGrant(emulator.GrantDeviceCode) != 1 {
		t.Fatal("the device code was not redeemed exactly once")
	}
}

// TestDeviceLoginDeniedOrStoppedStoresNothing: a denial, or Ctrl-C while
// waiting, leaves no grant behind.
func TestDeviceLoginDeniedOrStoppedStoresNothing(t *testing.T) {
	_, cfg, data := deviceLoginSetup(t, emulator.ApproveDeny)
	out, errOut, code := runLogin(t, t.Context(), true, "--config", cfg, "--app", "tv", "--data-dir", data)
	if code == 0 || !strings.Contains(errOut, "denied") {
		t.Fatalf("denied login: exit %d\n%s\n%s", code, out, errOut)
	}
	if ms := storedGrants(t, data); len(ms) != 0 {
		t.Fatalf("a denied login stored %+v", ms)
	}
	_, cfg, data = deviceLoginSetup(t, emulator.ApproveAuto)
	ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond) // stopped before anyone approves
	defer cancel()
	_, errOut, code = runLogin(t, ctx, false, "--config", cfg, "--app", "tv", "--data-dir", data)
	if code == 0 || !strings.Contains(errOut, "nothing was stored") {
		t.Fatalf("stopped login: exit %d\n%s", code, errOut)
	}
	if ms := storedGrants(t, data); len(ms) != 0 {
		t.Fatalf("a stopped login stored %+v", ms)
	}
}

func TestLoginRefusesOtherKinds(t *testing.T) {
	_, cfgPath, _ := cnSetup(t)
	_, errOut, code := cli(t, "", "login", "--config", cfgPath)
	if code == 0 || !strings.Contains(errOut, "login is for device apps") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}
