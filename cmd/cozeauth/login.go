package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/mdp/qrterminal/v3"
	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/grant"
	"github.com/cozeauth/cozeauth/internal/term"
)

// isTerminal says whether login draws for a person (a QR code, a
// countdown); tests replace it to play a terminal.
var isTerminal = term.IsTerminal

// newLogin is `cozeauth login`: the device flow from a terminal. The
// person approves on Coze's page; the grant is written to the store only
// once Coze has answered with it, so stopping (Ctrl-C) leaves nothing.
func newLogin() *cobra.Command {
	var cfgFile, appName, subject, serverURL string
	var sf storeFlags
	cmd := &cobra.Command{
		Use:   "login --app NAME [--subject S] [--server URL]",
		Short: "Log a user in to a device app (OAuth device code) and keep the grant",
		Long: `Log a user in to a device app with Coze's device flow and keep the grant.

It shows the page to open and the code to enter (and a QR code of it on a
terminal), counts down while the person approves in Coze, and stores the
grant (the refresh token, encrypted) for the subject. serve then hands out
tokens for that subject: the subject is the session name /token and the
gateway use (X-User-ID, or default_session when none is sent; for a
prefix-policy client, its full partitioned name).

While serve runs it holds the grant store: login then asks it instead
(--server, or by itself at the config's listen address), and serve polls
Coze and stores the grant. A client key for serve's policies is read from
$COZEAUTH_KEY. For a web or pkce app, --server prints the connect link to
open in the user's browser.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			if serverURL != "" {
				return remoteLogin(ctx, cmd, serverURL, appName, cmp.Or(subject, config.DefaultSession))
			}
			cfg, app, err := loadApp(cfgFile, appName)
			if err != nil {
				return err
			}
			if app.Kind != config.KindDevice {
				return fmt.Errorf("--app %q is a %s app: login is for device apps (web and pkce apps log users in through connect links: add --server to get one)", app.Name, app.Kind)
			}
			sf.dataDir = cmp.Or(sf.dataDir, cfg.DataDir, defaultDataDir)
			sf.keyFile = cmp.Or(sf.keyFile, cfg.StoreKeyFile)
			subject = cmp.Or(subject, cfg.DefaultSession)
			if err := config.ValidSessionName(subject); err != nil || subject == "" {
				return fmt.Errorf("--subject %q: %v", subject, cmp.Or(err, errors.New("empty")))
			}
			base := "http://" + loopbackAddr(cmp.Or(cfg.Listen, config.DefaultListen))
			if cfg.Store != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "grants live in the store replicas share: asking serve at %s\n", base)
				return remoteLogin(ctx, cmd, base, app.Name, subject)
			}
			// Open the store first: a locked or unreadable store is found
			// before the person spends time approving.
			store, err := openStore(sf.dataDir, sf.keyFile, cmd.ErrOrStderr())
			if errors.Is(err, grant.ErrLocked) {
				fmt.Fprintf(cmd.ErrOrStderr(), "the grant store is held by a running serve: asking it at %s\n", base)
				return remoteLogin(ctx, cmd, base, app.Name, subject)
			}
			if err != nil {
				return err
			}
			defer store.Close()
			return deviceLogin(ctx, cmd, newClient(), app, subject, store)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&cfgFile, "config", "c", "", "YAML config file")
	fl.StringVar(&appName, "app", "", "the device app (default: the default app)")
	fl.StringVar(&subject, "subject", "", "whose grant it is: the session name tokens are asked for (default: default_session)")
	fl.StringVar(&serverURL, "server", "", "ask this running serve to run the login and keep the grant (e.g. http://127.0.0.1:8080)")
	fl.StringVar(&sf.dataDir, "data-dir", "", "directory holding the grant store (default: data_dir in the config, else "+defaultDataDir+")")
	fl.StringVar(&sf.keyFile, "store-key-file", "", "file holding the store key (default: store_key_file in the config, else $"+grant.EnvStoreKey+")")
	return cmd
}

func deviceLogin(ctx context.Context, cmd *cobra.Command, client *coze.Client, app *config.App, subject string, store grant.Store) error {
	d, err := client.DeviceCode(ctx, coze.DeviceCodeRequest{APIBase: app.APIBase, ClientID: app.ClientID, WorkspaceID: app.WorkspaceID()})
	if err != nil {
		return fmt.Errorf("asking Coze for a device code: %w", err)
	}
	wait := showDeviceCode(cmd.ErrOrStderr(), app.Name, subject, d.VerificationURL(), d.UserCode, d.ExpiresAt)
	tok, err := client.PollDevice(ctx, coze.DevicePoll{TokenURL: app.TokenURL(), ClientID: app.ClientID, Device: d})
	wait.Stop()
	switch {
	case coze.IsAccessDenied(err):
		return errors.New("the login was denied in Coze: nothing was stored")
	case coze.IsExpiredToken(err):
		return errors.New("the code expired before it was approved: nothing was stored; run login again")
	case err != nil:
		return fmt.Errorf("%w (nothing was stored)", err)
	case tok.RefreshToken == "":
		return errors.New("Coze answered without a refresh token: nothing to keep (is this a device app?)")
	}
	account := ""
	if acct, err := client.Me(ctx, app.APIBase, tok.AccessToken); err == nil {
		account = acct.String()
	}
	now := time.Now().UTC()
	g := &grant.Grant{App: app.Name, Subject: subject, RefreshToken: tok.RefreshToken, State: grant.Active, CreatedAt: now, RefreshedAt: now, User: account}
	if err := store.Put(context.WithoutCancel(ctx), g); err != nil {
		return fmt.Errorf("storing the grant: %w", err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "connected: app %s, subject %s, Coze account %s\n", app.Name, subject, cmp.Or(account, "(Coze did not say)"))
	return nil
}

// showDeviceCode tells the person where to go and what to type; on a
// terminal it adds a QR code of the page and a countdown to the code's
// expiry, which the caller stops once the wait is over.
func showDeviceCode(out io.Writer, app, subject, url, code string, expires time.Time) *term.Spinner {
	fmt.Fprintf(out, "To connect %q for %q, open this page and approve in Coze:\n\n  %s\n\n  code: %s\n\n", app, subject, url, code)
	tty := isTerminal(out)
	if tty {
		qrterminal.GenerateHalfBlock(url, qrterminal.L, out)
		fmt.Fprintln(out)
	}
	fmt.Fprintf(out, "Waiting for approval (the code expires at %s; Ctrl-C stops)...\n", expires.Local().Format("15:04:05"))
	return term.StartSpinnerFunc(out, tty, func() string {
		left := max(time.Until(expires).Truncate(time.Second), 0)
		return fmt.Sprintf("waiting for approval: %d:%02d left", int(left.Minutes()), int(left.Seconds())%60)
	})
}
