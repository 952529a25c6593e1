package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
)

type tokenFlags struct {
	config, app, session, scope string
	duration                    int
	json                        bool
}

func newToken() *cobra.Command {
	var f tokenFlags
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Mint one Coze access token and print it",
		Long: `Mint one Coze access token and print it: the bare token on stdout, so that

  export COZE_API_TOKEN=$(cozeauth token)

works, or with --json the whole answer. Errors go to stderr with exit status 1;
` + "`cozeauth doctor`" + ` explains them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runToken(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.config, "config", "c", "", "YAML config file (default: $COZEAUTH_CONFIG, ./cozeauth.yaml, then the environment)")
	fl.StringVar(&f.app, "app", "", "app name (default: the default app)")
	fl.StringVar(&f.session, "session", "", "session_name: the end user the token is for (default: the configured default session)")
	fl.IntVar(&f.duration, "duration", 0, "token lifetime in seconds, 1..86399 (default: the app's, normally 900)")
	fl.StringVar(&f.scope, "scope", "", "scope as JSON, or a file holding it (default: the app's)")
	fl.BoolVar(&f.json, "json", false, "print {access_token, expires_in, token_type, expires_at} instead of the bare token")
	return cmd
}

// jwtRequest builds the request serve would send for the flags.
func jwtRequest(cfg *config.Config, app *config.App, session string, duration int, scope string) (coze.JWTRequest, error) {
	if app.JWT == nil {
		return coze.JWTRequest{}, fmt.Errorf("app %q is a %s app: this version signs assertions and gets tokens from the command line for JWT apps (kind jwt) only", app.Name, app.Kind)
	}
	req := coze.JWTRequest{TokenURL: app.TokenURL(), DurationSeconds: app.Duration, Scope: app.Scope,
		Claims: coze.Claims{SessionName: cfg.DefaultSession}}
	if session != "" {
		if err := config.ValidSessionName(session); err != nil {
			return req, fmt.Errorf("--session: %w", err)
		}
		req.Claims.SessionName = session
	}
	if duration != 0 {
		if err := coze.ValidDuration(duration); err != nil {
			return req, fmt.Errorf("--duration: %w", err)
		}
		req.DurationSeconds = duration
	}
	if scope != "" {
		s, err := parseScope(scope)
		if err != nil {
			return req, err
		}
		req.Scope = s
	}
	return req, nil
}

func runToken(cmd *cobra.Command, f tokenFlags) error {
	cfg, app, err := loadApp(f.config, f.app)
	if err != nil {
		return err
	}
	req, err := jwtRequest(cfg, app, f.session, f.duration, f.scope)
	if err != nil {
		return err
	}
	u := newUI(cmd)
	u.start("getting a token from " + app.APIBase)
	ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
	defer cancel()
	tok, err := newClient().JWTToken(ctx, app.Signer(), req)
	u.stop()
	if err != nil {
		return fmt.Errorf("%w\n(run `cozeauth doctor%s` to find out why)", err, appFlag(f.config, f.app))
	}
	out := cmd.OutOrStdout()
	if !f.json {
		fmt.Fprintln(out, tok.AccessToken)
		return nil
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"` // absolute epoch seconds, as Coze answers
		TokenType   string `json:"token_type"`
		ExpiresAt   string `json:"expires_at"`
	}{tok.AccessToken, tok.ExpiresAt.Unix(), tok.TokenType, tok.ExpiresAt.UTC().Format(time.RFC3339)})
}

// loadApp loads the configuration and picks the app.
func loadApp(file, name string) (*config.Config, *config.App, error) {
	cfg, err := config.Load(config.Options{File: file})
	if err != nil {
		return nil, nil, err
	}
	app, ok := cfg.App(name)
	if !ok {
		var names []string
		for _, a := range cfg.Apps {
			names = append(names, a.Name)
		}
		return nil, nil, fmt.Errorf("--app %q: no such app in %s (apps: %s)", name, cfg.Source, strings.Join(names, ", "))
	}
	return cfg, app, nil
}

// appFlag repeats the --config and --app flags for a suggested command.
func appFlag(file, app string) string {
	s := ""
	if file != "" {
		s += " --config " + shellQuote(file)
	}
	if app != "" {
		s += " --app " + shellQuote(app)
	}
	return s
}
