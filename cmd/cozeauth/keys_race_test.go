package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/policy"
)

// keysIn reads the hashes the keys file beside cfg holds, by client name.
func keysIn(t *testing.T, cfg string) map[string]string {
	t.Helper()
	entries, err := config.ReadKeysFile(filepath.Join(filepath.Dir(cfg), "keys.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		out[e.Name] = e.KeyHash
	}
	return out
}

// checkCreated fails unless every printed key is distinct and stored
// under its client's name.
func checkCreated(t *testing.T, cfg string, printed map[string]string) {
	t.Helper()
	stored := keysIn(t, cfg)
	seen := map[string]bool{}
	for name, key := range printed {
		if !strings.HasPrefix(key, policy.KeyPrefix) || seen[key] {
			t.Errorf("client %s: printed key %q is not a fresh key", name, key)
		}
		seen[key] = true
		if stored[name] != policy.HashKey(key) {
			t.Errorf("client %s: its printed key is not in the keys file (a lost update)", name)
		}
	}
	if len(stored) != len(printed) {
		t.Errorf("keys file holds %d clients, %d keys were printed", len(stored), len(printed))
	}
}

// TestKeysParallelCreatesAllSurvive: before, eight parallel creates
// printed eight keys and kept five.
func TestKeysParallelCreatesAllSurvive(t *testing.T) {
	cfg := writeAccessConfig(t)
	const n = 20
	var mu sync.Mutex
	printed := map[string]string{}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			name := fmt.Sprint("c", i)
			out, _, err := runCLI(t, "keys", "create", "--config", cfg, "--name", name, "--policy", "backend")
			if err != nil {
				t.Errorf("create %s: %v", name, err)
				return
			}
			mu.Lock()
			printed[name] = strings.TrimSpace(out)
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(printed) != n {
		t.Fatalf("%d of %d creates succeeded", len(printed), n)
	}
	checkCreated(t, cfg, printed)
}

// TestKeysRevokeRacingCreateNeverLies: a revoke that reports success has
// removed the key, and a create that reports success has stored it,
// however they interleave.
func TestKeysRevokeRacingCreateNeverLies(t *testing.T) {
	cfg := writeAccessConfig(t)
	for round := range 8 {
		victim := fmt.Sprint("victim", round)
		if _, _, err := runCLI(t, "keys", "create", "--config", cfg, "--name", victim, "--policy", "backend"); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var revokeErr error
		created := map[string]error{}
		var mu sync.Mutex
		wg.Go(func() { _, _, revokeErr = runCLI(t, "keys", "revoke", "--config", cfg, victim) })
		for j := range 3 {
			wg.Go(func() {
				name := fmt.Sprintf("r%d-%d", round, j)
				_, _, err := runCLI(t, "keys", "create", "--config", cfg, "--name", name, "--policy", "backend")
				mu.Lock()
				created[name] = err
				mu.Unlock()
			})
		}
		wg.Wait()
		stored := keysIn(t, cfg)
		if revokeErr == nil && stored[victim] != "" {
			t.Fatalf("round %d: revoke reported success but %s's key is still valid", round, victim)
		}
		for name, err := range created {
			if err == nil && stored[name] == "" {
				t.Fatalf("round %d: create %s reported success but the key was lost", round, name)
			}
		}
	}
}

// TestKeysParallelCreatesRealProcesses: the same with separate cozeauth
// processes, as people and scripts run them.
func TestKeysParallelCreatesRealProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool to build cozeauth")
	}
	bin := filepath.Join(t.TempDir(), "cozeauth")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cfg := writeAccessConfig(t)
	const n = 8
	var mu sync.Mutex
	printed := map[string]string{}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			name := fmt.Sprint("p", i)
			cmd := exec.Command(bin, "keys", "create", "--config", cfg, "--name", name, "--policy", "backend")
			cmd.Env = append(os.Environ(), "COZEAUTH_CONFIG=")
			out, err := cmd.Output()
			if err != nil {
				t.Errorf("create %s: %v", name, err)
				return
			}
			mu.Lock()
			printed[name] = strings.TrimSpace(string(out))
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(printed) != n {
		t.Fatalf("%d of %d creates succeeded", len(printed), n)
	}
	checkCreated(t, cfg, printed)
}
