package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/emulator"
	"github.com/cozeauth/cozeauth/grant"
)

// Demo app identities registered with the emulator.
const (
	demoClientID     = "1170000000000"
	demoKeyID        = "demo-key-id"
	demoWebClientID  = "1170000000001"
	demoPKCEClientID = "1170000000002"
	demoDevClientID  = "1170000000003"
	demoUser         = "7310000000000000001"
)

// demo is a running in-process Coze emulator and the config pointing at
// it: one app of each kind, named after its kind, jwt the default.
type demo struct {
	cfg     *config.Config
	emu     *emulator.Server
	base    string
	srv     *http.Server
	tempDir string // removed on Close: the demo's grant store, unless --data-dir
}

// startDemo generates a fresh key pair, starts the emulator on a loopback
// port (approving every consent by itself) and returns a config with the
// jwt, pat and device apps registered there; addLoginApps adds web and
// pkce once serve's address is known. The grant store lives in dataDir,
// or in a temporary directory removed on exit, under a fresh key.
func startDemo(ctx context.Context, log *slog.Logger, dataDir string) (*demo, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate demo key: %w", err)
	}
	d := &demo{emu: emulator.New(emulator.Options{Region: "cn", Audience: coze.RegionCN.Audience(), Approve: emulator.ApproveAuto})}
	d.emu.AddApp(demoClientID)
	d.emu.AddKey(demoClientID, demoKeyID, &key.PublicKey)
	d.emu.AddDeviceApp(demoDevClientID)
	pat := "pat_demo_" + randomHex(16)
	d.emu.AddPAT(pat, demoUser)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start demo emulator: %w", err)
	}
	d.srv = &http.Server{Handler: d.emu, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := d.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("demo emulator stopped", "err", err)
		}
	}()
	d.base = "http://" + ln.Addr().String()
	log.Info("demo: Coze emulator running", "api_base", d.base, "stats", d.base+"/_emulator/stats")
	keyFile, err := d.storeKey(dataDir)
	if err != nil {
		d.Close()
		return nil, err
	}
	if dataDir == "" {
		dataDir = d.tempDir
	}
	d.cfg = &config.Config{
		Source:         "demo",
		Listen:         config.DefaultListen,
		DefaultSession: config.DefaultSession,
		DefaultApp:     "jwt",
		DataDir:        dataDir,
		StoreKeyFile:   keyFile,
		Cache:          config.Cache{MaxEntries: config.DefaultMaxEntries, MaxBytes: config.DefaultMaxBytes, Skew: 30 * time.Second},
		Apps: []config.App{
			d.app("jwt", config.KindJWT, demoClientID, func(a *config.App) {
				a.JWT = &config.JWTApp{KeyID: demoKeyID, Key: key, KeySource: "generated for the demo", AssertionTTL: coze.DefaultAssertionTTL}
			}),
			d.app("pat", config.KindPAT, "", func(a *config.App) {
				a.PAT = &config.PATApp{Token: config.Secret(pat), TokenSource: "generated for the demo"}
			}),
			d.app("device", config.KindDevice, demoDevClientID, func(a *config.App) { a.Device = &config.DeviceApp{} }),
		},
	}
	return d, nil
}

// addLoginApps registers the web and pkce apps, whose redirect URI is
// serve's own /oauth/callback at base.
func (d *demo) addLoginApps(base string) {
	redirect := base + config.LoginCallbackPath
	secret := "demo-secret-" + randomHex(8)
	d.emu.AddWebApp(demoWebClientID, secret, redirect)
	d.emu.AddPKCEApp(demoPKCEClientID, redirect)
	d.cfg.Apps = append(d.cfg.Apps,
		d.app("web", config.KindWeb, demoWebClientID, func(a *config.App) {
			a.Web = &config.WebApp{ClientSecret: config.Secret(secret), SecretSource: "generated for the demo", RedirectURI: redirect}
		}),
		d.app("pkce", config.KindPKCE, demoPKCEClientID, func(a *config.App) { a.PKCE = &config.PKCEApp{RedirectURI: redirect} }))
}

// app is a demo app of kind at the emulator; set fills in its kind's part.
func (d *demo) app(name string, kind config.Kind, clientID string, set func(*config.App)) config.App {
	a := config.App{Name: name, Kind: kind, Region: coze.RegionCN, ClientID: clientID,
		APIBase: d.base, WWWBase: d.base, WSBase: coze.WSBaseFor(d.base), Audience: coze.RegionCN.Audience(),
		Duration: coze.DefaultDuration}
	set(&a)
	return a
}

// storeKey writes a fresh store key for the demo's grant store: into
// dataDir when given (kept, so a second demo reads the same store), else
// into a temporary directory that also holds the store.
func (d *demo) storeKey(dataDir string) (string, error) {
	if dataDir == "" {
		dir, err := os.MkdirTemp("", "cozeauth-demo-")
		if err != nil {
			return "", err
		}
		d.tempDir = dir
		dataDir = dir
	} else if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", err
	}
	path := filepath.Join(dataDir, "demo-store.key")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	return path, os.WriteFile(path, []byte(grant.GenerateKey()+"\n"), 0o600)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Close stops the emulator and removes the demo's temporary store.
func (d *demo) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if d.srv != nil {
		_ = d.srv.Shutdown(ctx)
	}
	if d.tempDir != "" {
		os.RemoveAll(d.tempDir)
	}
}
