package main

import (
	"context"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/internal/redistest"
	"github.com/cozeauth/cozeauth/replica"
)

// TestKeysRevokeReachesReplicas: what `keys revoke` does with a store
// configured reaches a running replica, which drops the client's tokens.
func TestKeysRevokeReachesReplicas(t *testing.T) {
	rs := redistest.Start(t)
	running, err := replica.Open(t.Context(), replica.Options{URL: rs.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer running.Close()
	dropped := make(chan string, 1)
	running.OnRevoke(func(ids []string) { dropped <- ids[0] })
	t.Setenv(config.EnvStore, "")
	shared, err := revokeShared(context.Background(), &config.Config{Store: rs.URL()}, []string{"ci#deadbeef"})
	if err != nil || !shared {
		t.Fatalf("revokeShared: %v %v", shared, err)
	}
	select {
	case id := <-dropped:
		if id != "ci#deadbeef" || !running.Revoked(id) {
			t.Fatalf("the replica dropped %q", id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the running replica never heard of the revocation")
	}
	if shared, err := revokeShared(context.Background(), &config.Config{}, []string{"x#1"}); shared || err != nil {
		t.Fatal("without a store, revoke touched one")
	}
}
