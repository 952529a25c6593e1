package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/grant"
	"github.com/cozeauth/cozeauth/internal/human"
)

// defaultDataDir is where serve keeps its state unless told otherwise.
const defaultDataDir = "./cozeauth-data"

// storeFlags are the flags every command that opens the grant store takes.
type storeFlags struct {
	dataDir string
	keyFile string
}

func (f *storeFlags) add(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.dataDir, "data-dir", defaultDataDir, "directory holding the grant store ("+grant.DefaultFileName+")")
	cmd.PersistentFlags().StringVar(&f.keyFile, "store-key-file", "", "file holding the store key (default: the "+grant.EnvStoreKey+" environment variable)")
}

// open opens the existing grant store; it never creates one.
func (f *storeFlags) open(cmd *cobra.Command) (*grant.FileStore, error) { return f.openWith(cmd) }

func (f *storeFlags) openWith(cmd interface{ ErrOrStderr() io.Writer }) (*grant.FileStore, error) {
	path := filepath.Join(f.dataDir, grant.DefaultFileName)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no grant store at %s: serve creates it at the first login; give --data-dir if it is elsewhere (replicas sharing a store: URL keep grants there: ask serve with --server)", path)
	}
	return openStore(f.dataDir, f.keyFile, cmd.ErrOrStderr())
}

// openStore opens (creating it when missing) the grant store in dir
// with the key from keyFile, else $COZEAUTH_STORE_KEY; a warning about
// the key goes to stderr.
func openStore(dir, keyFile string, stderr io.Writer) (*grant.FileStore, error) {
	kr, warning, err := grant.LoadKeyring(os.Getenv, keyFile)
	if err != nil {
		return nil, err
	}
	if warning != "" {
		fmt.Fprintln(stderr, "warning:", warning)
	}
	return grant.OpenFile(filepath.Join(dir, grant.DefaultFileName), kr)
}

func newGrants() *cobra.Command {
	var sf storeFlags
	cmd := &cobra.Command{
		Use:   "grants",
		Short: "List and revoke the grants (users' refresh tokens) kept in the grant store",
	}
	sf.add(cmd)
	var serverURL string
	cmd.PersistentFlags().StringVar(&serverURL, "server", "", "ask this running server instead of opening the store (e.g. http://127.0.0.1:8080; from another machine set COZEAUTH_ADMIN_KEY to an admin client's key)")
	var app string
	list := &cobra.Command{
		Use:   "list [--app NAME]",
		Short: "List grants: subject, app, state, age, last refresh, user, scope (never the token)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := openBook(cmd, &sf, serverURL)
			if err != nil {
				return err
			}
			defer s.Close()
			ms, err := s.List(cmd.Context(), app)
			if err != nil {
				return err
			}
			if len(ms) == 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "no grants"+forApp(app))
				return nil
			}
			now := time.Now()
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SUBJECT\tAPP\tSTATE\tAGE\tLAST REFRESH\tUSER\tSCOPE")
			for _, m := range ms {
				state := string(m.State)
				if m.Reason != "" {
					state += " (" + m.Reason + ")"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.Subject, m.App, state,
					grantAge(m.CreatedAt, now), grantRefreshed(m.RefreshedAt, now), orDash(m.User), grantScopeText(m.Scope))
			}
			return tw.Flush()
		},
	}
	list.Flags().StringVar(&app, "app", "", "only this app's grants")

	var rApp, rSubject string
	revoke := &cobra.Command{
		Use:   "revoke --app NAME --subject SUBJECT",
		Short: "Delete a grant: the subject must log in again",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := openBook(cmd, &sf, serverURL)
			if err != nil {
				return err
			}
			defer s.Close()
			if err := s.Delete(cmd.Context(), rApp, rSubject); err != nil {
				if errors.Is(err, grant.ErrNotFound) {
					return fmt.Errorf("no grant for app %q subject %q in %s (see `cozeauth grants list`)", rApp, rSubject, s.Where())
				}
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked the grant of app %q for subject %q: its refresh token is deleted; the user must log in again\n", rApp, rSubject)
			return nil
		},
	}
	revoke.Flags().StringVar(&rApp, "app", "", "the grant's app")
	revoke.Flags().StringVar(&rSubject, "subject", "", "the grant's subject (the end user's session name)")
	revoke.MarkFlagRequired("app")
	revoke.MarkFlagRequired("subject")
	cmd.AddCommand(list, revoke)
	return cmd
}

func newStoreCmd() *cobra.Command {
	var sf storeFlags
	cmd := &cobra.Command{
		Use:   "store",
		Short: "Manage the grant store",
	}
	sf.add(cmd)
	var newKeyFile string
	rotate := &cobra.Command{
		Use:   "rotate-key --new-key-file FILE",
		Short: "Re-seal every grant under a new store key (the current key comes from " + grant.EnvStoreKey + " or --store-key-file)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			next, warning, err := grant.ReadKeyFile(newKeyFile)
			if err != nil {
				return fmt.Errorf("--new-key-file: %w", err)
			}
			if warning != "" {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", warning)
			}
			s, err := sf.open(cmd)
			if err != nil {
				return err
			}
			defer s.Close()
			if err := s.RotateKey(cmd.Context(), next); err != nil {
				return err
			}
			ms, err := s.List(cmd.Context(), "")
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "re-sealed %d grant(s) in %s under key id %q.\nFrom now on start cozeauth with the new key: --store-key-file %s, or %s set to its contents. The old key no longer opens the store.\n",
				len(ms), s.Path(), next.Primary(), newKeyFile, grant.EnvStoreKey)
			return nil
		},
	}
	rotate.Flags().StringVar(&newKeyFile, "new-key-file", "", "file holding the new key (64 hex digits; `openssl rand -hex 32`)")
	rotate.MarkFlagRequired("new-key-file")
	cmd.AddCommand(rotate)
	return cmd
}

func forApp(app string) string {
	if app == "" {
		return ""
	}
	return fmt.Sprintf(" for app %q", app)
}

func grantAge(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return human.Duration(now.Sub(t))
}

func grantRefreshed(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return human.Relative(t, now)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// grantScopeText is the scope as compact JSON, cut at 60 bytes.
func grantScopeText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "-"
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return "?"
	}
	if b.Len() > 60 {
		return b.String()[:57] + "..."
	}
	return b.String()
}
