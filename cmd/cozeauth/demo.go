package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/emulator"
)

// Demo app identity registered with the emulator.
const (
	demoClientID = "1170000000000"
	demoKeyID    = "demo-key-id"
)

// demo is a running in-process Coze emulator and the config pointing at it.
type demo struct {
	cfg *config.Config
	srv *http.Server
}

// startDemo generates a fresh key pair, starts the emulator on a loopback
// port and returns a config with one app ("demo") registered there.
func startDemo(ctx context.Context, log *slog.Logger) (*demo, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate demo key: %w", err)
	}
	emu := emulator.New(emulator.Options{Region: "cn", Audience: coze.RegionCN.Audience()})
	emu.AddApp(demoClientID)
	emu.AddKey(demoClientID, demoKeyID, &key.PublicKey)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start demo emulator: %w", err)
	}
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("demo emulator stopped", "err", err)
		}
	}()
	base := "http://" + ln.Addr().String()
	log.Info("demo: Coze emulator running", "api_base", base, "stats", base+"/_emulator/stats")
	cfg := &config.Config{
		Source:         "demo",
		Listen:         config.DefaultListen,
		DefaultSession: config.DefaultSession,
		DefaultApp:     "demo",
		Cache:          config.Cache{MaxEntries: config.DefaultMaxEntries, MaxBytes: config.DefaultMaxBytes, Skew: 30 * time.Second},
		Apps: []config.App{{
			Name: "demo", Kind: config.KindJWT, Region: coze.RegionCN, ClientID: demoClientID,
			JWT:     &config.JWTApp{KeyID: demoKeyID, Key: key, KeySource: "generated for the demo", AssertionTTL: coze.DefaultAssertionTTL},
			APIBase: base, WWWBase: coze.RegionCN.WWWBase(), WSBase: coze.WSBaseFor(base), Audience: coze.RegionCN.Audience(),
			Duration: coze.DefaultDuration,
		}},
	}
	return &demo{cfg: cfg, srv: srv}, nil
}

// Close stops the emulator.
func (d *demo) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = d.srv.Shutdown(ctx)
}
