package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/emulator"
)

// App ids the standalone emulator registers for the user-delegated kinds.
const (
	emuWebClientID    = "1170000000001"
	emuPKCEClientID   = "1170000000002"
	emuDeviceClientID = "1170000000003"
	emuRedirectURI    = "http://127.0.0.1:8080/oauth/callback"
)

// emulatorFlags are the standalone emulator's settings.
type emulatorFlags struct {
	listen, pub, clientID, kid, region string
	approve, user                      string
	webID, webSecret, pkceID, deviceID string
	pat                                string
	redirectURIs                       []string
	channel                            bool
	permissions, audiences             []string
}

// newEmulator runs the built-in Coze emulator on its own, for integration
// tests of your own code (and benchmarks) without a Coze account.
func newEmulator() *cobra.Command {
	var fl emulatorFlags
	cmd := &cobra.Command{
		Use:   "emulator [--pub public_key.pem] [--approve auto|ask|deny]",
		Short: "Run the built-in Coze emulator (OAuth endpoints and a slice of the API) for local testing",
		Long: `Run the built-in Coze emulator: Coze's OAuth endpoints and a slice of its
OpenAPI, faithful to Coze's wire format and errors, on a loopback address.

It registers one app of every kind and prints their ids and secrets (fake,
valid only on this emulator):
  jwt     --client-id and --kid with the public key --pub made by "cozeauth
          keygen" (skipped when the default public_key.pem does not exist)
  web     --web-client-id, --web-secret (random unless given), --redirect-uri
  pkce    --pkce-client-id, --redirect-uri
  device  --device-client-id
  pat     --pat (random unless given), a token that never expires

Consents (the authorize page and the device verification page) are answered
by --approve: "ask" shows a consent page with Approve and Deny buttons,
"auto" approves at once, "deny" refuses at once. The logged-in person is --user.

Apps are developer apps authorized for every permission: their tokens
ignore a requested scope. --permissions narrows what every app was
authorized for; --channel makes the JWT app a channel app (渠道), whose
token requests' scope (permissions, bot_id_list, workspaces, workflows) is
enforced: calls outside it answer Coze's 4101.

A JWT assertion's aud may be the region's (api.coze.cn or api.coze.com),
the emulator's own host:port (as the SDKs sign it from their base URL), or
any --audience.

Faults on demand: POST a JSON fault to http://ADDR/_emulator/faults, e.g.
  curl -d '{"path":"/v3/chat","status":429,"retry_after":"1"}' http://ADDR/_emulator/faults
(fields: path, times, latency_ms, status, retry_after, drop, lose_answer,
cut_after); GET lists the queued faults, DELETE clears them.

Point cozeauth (or your own code) at it with COZE_API_BASE=http://ADDR, the
www base http://ADDR too, and AUDIENCE=api.coze.cn (or api.coze.com).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runEmulator(cmd, &fl)
		},
	}
	f := cmd.Flags()
	f.StringVar(&fl.listen, "listen", "127.0.0.1:8090", "address to listen on")
	f.StringVar(&fl.pub, "pub", "public_key.pem", "the JWT app's public key (PEM), as uploaded to Coze")
	f.StringVar(&fl.clientID, "client-id", demoClientID, "the JWT app id (应用ID) to register")
	f.StringVar(&fl.kid, "kid", demoKeyID, "the JWT app's public key id (公钥指纹) to register")
	f.StringVar(&fl.region, "region", "cn", "region to emulate: cn or com (sets the expected aud)")
	f.StringVar(&fl.approve, "approve", emulator.ApproveAsk, "how consents are answered: auto, ask (a consent page) or deny")
	f.StringVar(&fl.user, "user", emulator.DefaultUser, "the Coze user id of the emulated logged-in person")
	f.StringVar(&fl.webID, "web-client-id", emuWebClientID, "the web app's client id (客户端 ID)")
	f.StringVar(&fl.webSecret, "web-secret", "", "the web app's client secret (客户端密钥); random when empty")
	f.StringVar(&fl.pkceID, "pkce-client-id", emuPKCEClientID, "the PKCE app's client id")
	f.StringVar(&fl.deviceID, "device-client-id", emuDeviceClientID, "the device app's client id")
	f.StringVar(&fl.pat, "pat", "", "a personal access token the API accepts; random when empty")
	f.StringSliceVar(&fl.redirectURIs, "redirect-uri", []string{emuRedirectURI},
		"redirect URI(s) registered for the web and PKCE apps, matched exactly (repeat or comma-separate)")
	f.BoolVar(&fl.channel, "channel", false, "register the JWT app as a channel app (渠道): the scope of its token requests is enforced")
	f.StringSliceVar(&fl.permissions, "permissions", nil,
		"the permissions every app was authorized for (repeat or comma-separate; default all: "+strings.Join(emulator.AllPermissions, ", ")+")")
	f.StringSliceVar(&fl.audiences, "audience", nil, "further JWT aud values to accept (repeat or comma-separate)")
	return cmd
}

// runEmulator registers the apps and serves until interrupted.
func runEmulator(cmd *cobra.Command, fl *emulatorFlags) error {
	approve, err := emulator.ParseApprove(fl.approve)
	if err != nil {
		return fmt.Errorf("--approve: %w", err)
	}
	reg, err := coze.ParseRegion(fl.region)
	if err != nil {
		return fmt.Errorf("--region: %w", err)
	}
	for _, u := range fl.redirectURIs {
		if err := checkRedirectURI(u); err != nil {
			return fmt.Errorf("--redirect-uri %q: %w", u, err)
		}
	}
	if len(fl.redirectURIs) == 0 {
		return errors.New("--redirect-uri: give at least one redirect URI for the web and PKCE apps")
	}
	switch {
	case fl.user == "":
		return errors.New("--user: give a user id (for example " + emulator.DefaultUser + ")")
	case fl.webID == "" || fl.pkceID == "" || fl.deviceID == "" || fl.clientID == "":
		return errors.New("--client-id, --web-client-id, --pkce-client-id and --device-client-id must not be empty")
	}
	perms, err := checkPermissions(cmd, fl.permissions)
	if err != nil {
		return err
	}
	for _, a := range fl.audiences {
		if a == "" || strings.ContainsAny(a, " /") {
			return fmt.Errorf("--audience %q: give a host or host:port, such as api.coze.cn or localhost:8090", a)
		}
	}
	emu := emulator.New(emulator.Options{Region: string(reg), Audience: reg.Audience(), Audiences: fl.audiences, Approve: approve, User: fl.user})
	jwtLine, err := registerJWT(cmd, emu, fl)
	if err != nil {
		return err
	}
	for _, id := range []string{fl.clientID, fl.webID, fl.pkceID, fl.deviceID} {
		emu.SetAppOptions(id, emulator.AppOptions{Channel: fl.channel && id == fl.clientID, Permissions: perms})
	}
	webSecret := cmpOrRandom(fl.webSecret, "")
	pat := cmpOrRandom(fl.pat, "pat_")
	emu.AddWebApp(fl.webID, webSecret, fl.redirectURIs...)
	emu.AddPKCEApp(fl.pkceID, fl.redirectURIs...)
	emu.AddDeviceApp(fl.deviceID)
	emu.AddPAT(pat, fl.user)

	ln, err := net.Listen("tcp", fl.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", fl.listen, err)
	}
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	base := "http://" + ln.Addr().String()
	printEmulator(cmd.OutOrStdout(), base, reg, approve, fl, jwtLine, webSecret, pat)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// registerJWT registers the JWT app from --pub, or skips it when --pub was
// left at its default and that file does not exist. It answers the line
// describing it.
func registerJWT(cmd *cobra.Command, emu *emulator.Server, fl *emulatorFlags) (string, error) {
	data, err := os.ReadFile(fl.pub)
	if errors.Is(err, fs.ErrNotExist) && !cmd.Flags().Changed("pub") {
		return "no JWT app: " + fl.pub + " not found (make one with \"cozeauth keygen\", or pass --pub)", nil
	}
	if err != nil {
		return "", fmt.Errorf("--pub: %w", err)
	}
	key, err := coze.ParsePublicKey(data)
	if err != nil {
		return "", fmt.Errorf("--pub %s: %w", fl.pub, err)
	}
	emu.AddApp(fl.clientID)
	emu.AddKey(fl.clientID, fl.kid, key)
	kind := "a developer app: a requested scope is ignored"
	if fl.channel {
		kind = "a channel app: a requested scope is enforced"
	}
	return fmt.Sprintf("app %s, key id %s (%s)", fl.clientID, fl.kid, kind), nil
}

// checkPermissions validates --permissions: nil (every permission) when
// the flag was not given, else known names.
func checkPermissions(cmd *cobra.Command, names []string) ([]string, error) {
	if !cmd.Flags().Changed("permissions") {
		return nil, nil
	}
	out := []string{}
	for _, n := range names {
		if !slices.Contains(emulator.AllPermissions, n) {
			return nil, fmt.Errorf("--permissions: %q is not a permission the emulator knows; use some of %s",
				n, strings.Join(emulator.AllPermissions, ", "))
		}
		out = append(out, n)
	}
	return out, nil
}

// checkRedirectURI accepts an absolute http(s) URL without a fragment.
func checkRedirectURI(u string) error {
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return errors.New("must be an absolute http:// or https:// URL")
	}
	if strings.Contains(u, "#") {
		return errors.New("must not carry a #fragment")
	}
	if strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://") == "" {
		return errors.New("names no host")
	}
	return nil
}

// cmpOrRandom is v, or prefix and 32 random hex digits when v is empty.
func cmpOrRandom(v, prefix string) string {
	if v != "" {
		return v
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// printEmulator tells what is running and how to use it. The secrets it
// prints are the emulator's own, fake ones, valid nowhere else.
func printEmulator(w io.Writer, base string, reg coze.Region, approve string, fl *emulatorFlags, jwtLine, webSecret, pat string) {
	auds := append([]string{reg.Audience(), strings.TrimPrefix(base, "http://")}, fl.audiences...)
	fmt.Fprintf(w, "Coze emulator (%s, aud %s) listening on %s\n", reg, strings.Join(auds, " or "), base)
	fmt.Fprintf(w, "%s\n", jwtLine)
	fmt.Fprintf(w, "web app %s, client secret %s\n", fl.webID, webSecret)
	fmt.Fprintf(w, "pkce app %s\n", fl.pkceID)
	fmt.Fprintf(w, "device app %s\n", fl.deviceID)
	fmt.Fprintf(w, "redirect URIs (web, pkce): %s\n", strings.Join(fl.redirectURIs, ", "))
	fmt.Fprintf(w, "personal access token %s (user %s)\n", pat, fl.user)
	fmt.Fprintf(w, "consents: %s, as user %s\n", approve, fl.user)
	fmt.Fprintf(w, "authorize: %s/api/permission/oauth2/authorize  device verification: %s%s\n", base, base, emulator.VerifyPath)
	perms := "every permission"
	if fl.permissions != nil {
		perms = "permissions: " + strings.Join(fl.permissions, ", ")
	}
	fmt.Fprintf(w, "apps are authorized for %s\n", perms)
	fmt.Fprintf(w, "these ids, secrets and tokens are fake and valid only on this emulator\nstats: %s/_emulator/stats\n", base)
	fmt.Fprintf(w, "faults: POST %s%s {\"path\":\"/v3/chat\",\"status\":429,\"retry_after\":\"1\"} (GET lists, DELETE clears)\n", base, emulator.FaultsPath)
}
