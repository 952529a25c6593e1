package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/grant"
)

// newLogin is `cozeauth login`: the device flow from a terminal. The
// person approves on Coze's page; the grant is written to the store only
// once Coze has answered with it, so stopping (Ctrl-C) leaves nothing.
func newLogin() *cobra.Command {
	var cfgFile, appName, subject string
	var sf storeFlags
	cmd := &cobra.Command{
		Use:   "login --app NAME [--subject S]",
		Short: "Log a user in to a device app (OAuth device code) and keep the grant",
		Long: `Log a user in to a device app with Coze's device flow and keep the grant.

It shows the page to open and the code to enter, waits while the person
approves in Coze, and stores the grant (the refresh token, encrypted) for
the subject. serve then hands out tokens for that subject: the subject is
the session name /token and the gateway use (X-User-ID, or default_session
when none is sent; for a prefix-policy client, its full partitioned name).
The grant store is locked while serve runs: stop it first.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, app, err := loadApp(cfgFile, appName)
			if err != nil {
				return err
			}
			if app.Kind != config.KindDevice {
				return fmt.Errorf("--app %q is a %s app: login is for device apps (web and pkce apps log users in through their redirect URI)", app.Name, app.Kind)
			}
			sf.dataDir = cmp.Or(sf.dataDir, cfg.DataDir, defaultDataDir)
			sf.keyFile = cmp.Or(sf.keyFile, cfg.StoreKeyFile)
			subject = cmp.Or(subject, cfg.DefaultSession)
			if err := config.ValidSessionName(subject); err != nil || subject == "" {
				return fmt.Errorf("--subject %q: %v", subject, cmp.Or(err, errors.New("empty")))
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			return deviceLogin(ctx, cmd, newClient(), app, subject, sf)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&cfgFile, "config", "c", "", "YAML config file")
	fl.StringVar(&appName, "app", "", "the device app (default: the default app)")
	fl.StringVar(&subject, "subject", "", "whose grant it is: the session name tokens are asked for (default: default_session)")
	fl.StringVar(&sf.dataDir, "data-dir", "", "directory holding the grant store (default: data_dir in the config, else "+defaultDataDir+")")
	fl.StringVar(&sf.keyFile, "store-key-file", "", "file holding the store key (default: store_key_file in the config, else $"+grant.EnvStoreKey+")")
	return cmd
}

func deviceLogin(ctx context.Context, cmd *cobra.Command, client *coze.Client, app *config.App, subject string, sf storeFlags) error {
	// Open the store first: a locked or unreadable store is found before
	// the person spends time approving.
	store, err := openStore(sf.dataDir, sf.keyFile, cmd.ErrOrStderr())
	if err != nil {
		if errors.Is(err, grant.ErrLocked) {
			return fmt.Errorf("%w (log in with serve stopped)", err)
		}
		return err
	}
	defer store.Close()
	d, err := client.DeviceCode(ctx, coze.DeviceCodeRequest{APIBase: app.APIBase, ClientID: app.ClientID, WorkspaceID: app.Device.WorkspaceID})
	if err != nil {
		return fmt.Errorf("asking Coze for a device code: %w", err)
	}
	out := cmd.ErrOrStderr()
	fmt.Fprintf(out, "To connect %q for %q, open this page and approve in Coze:\n\n  %s\n\n  code: %s\n\n",
		app.Name, subject, d.VerificationURL(), d.UserCode)
	fmt.Fprintf(out, "Waiting for approval (the code expires at %s; Ctrl-C stops)...\n", d.ExpiresAt.Local().Format("15:04:05"))
	tok, err := client.PollDevice(ctx, coze.DevicePoll{TokenURL: app.TokenURL(), ClientID: app.ClientID, Device: d})
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
	now := time.Now().UTC()
	g := &grant.Grant{App: app.Name, Subject: subject, RefreshToken: tok.RefreshToken, State: grant.Active, CreatedAt: now, RefreshedAt: now}
	if err := store.Put(context.WithoutCancel(ctx), g); err != nil {
		return fmt.Errorf("storing the grant: %w", err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "connected: app %s, subject %s (grant stored in %s)\n", app.Name, subject, store.Path())
	return nil
}
