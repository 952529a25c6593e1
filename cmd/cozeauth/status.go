package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/server"
)

func newStatus() *cobra.Command {
	var serverURL string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show a running server's state: apps, cache, grants needing login, recent denials and errors",
		Long: `Show what a running server's status page (/status) shows, in the terminal:
its version and uptime, each app with kind, region and last mint or error,
the token cache, the grants whose users must log in again, and the recent
denials and errors.

It reads /status.json, which answers a caller on the server's machine, or
one with an admin client's key: set COZEAUTH_ADMIN_KEY to it (a client listed
under admin_clients) when asking from another machine.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), 15*time.Second)
			defer cancel()
			st, raw, err := fetchStatus(ctx, serverURL)
			if err != nil {
				return err
			}
			if asJSON {
				_, err := cmd.OutOrStdout().Write(raw)
				return err
			}
			printStatus(cmd.OutOrStdout(), serverURL, st)
			return nil
		},
	}
	cmd.Flags().StringVar(&serverURL, "server", "http://"+config.DefaultListen, "the running server's base URL")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print /status.json as it is")
	return cmd
}

func fetchStatus(ctx context.Context, base string) (*server.Status, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+server.StatusJSONPath, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("--server %q: %w (give a URL such as http://127.0.0.1:8080)", base, err)
	}
	if k := os.Getenv("COZEAUTH_ADMIN_KEY"); k != "" {
		req.Header.Set("X-API-Key", k)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("asking %s: %w (is cozeauth serve running there? pick it with --server)", base, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		_ = json.Unmarshal(data, &e)
		msg := e.Error.Message
		if msg == "" {
			msg = http.StatusText(resp.StatusCode)
		}
		hint := ""
		if resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized {
			hint = " (from another machine, set COZEAUTH_ADMIN_KEY to the key of a client listed under admin_clients)"
		}
		return nil, nil, fmt.Errorf("%s answered %d: %s%s", base, resp.StatusCode, msg, hint)
	}
	var st server.Status
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, nil, fmt.Errorf("%s answered something else than a cozeauth status (is it cozeauth, and as new as this command?)", base)
	}
	return &st, data, nil
}

func printStatus(w io.Writer, base string, st *server.Status) {
	ts := func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return "-"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	}
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return printable(s)
	}
	fmt.Fprintf(w, "cozeauth at %s: version %s, up %s (since %s)\n\n", base, printable(st.Version),
		(time.Duration(st.UptimeSeconds) * time.Second).String(), ts(&st.Started))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "APP\tKIND\tREGION\tLAST MINT\tLAST ERROR")
	for _, a := range st.Apps {
		e := "-"
		if a.LastError != "" {
			e = a.LastError + " (" + ts(a.ErrorAt) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", dash(a.Name), dash(a.Kind), dash(a.Region), ts(a.LastMint), dash(e))
	}
	tw.Flush()
	c := st.Cache
	fmt.Fprintf(w, "\nCache: %d entries, %d bytes, %d owners; %d hits, %d mints, %d failures\n", c.Entries, c.Bytes, c.Owners, c.Hits, c.Mints, c.Failures)
	switch g := st.Grants; {
	case g == nil:
		fmt.Fprintln(w, "\nGrants: no grant store (no web, PKCE or device app)")
	case g.Error != "":
		fmt.Fprintf(w, "\nGrants: %s\n", g.Error)
	default:
		fmt.Fprintf(w, "\nGrants: %d active, %d needing login\n", g.Active, g.NeedsLogin)
		if len(g.Waiting) > 0 {
			tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "  APP\tSUBJECT\tREASON\tSINCE")
			for _, x := range g.Waiting {
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", dash(x.App), dash(x.Subject), dash(x.Reason), ts(&x.Since))
			}
			tw.Flush()
			if g.NeedsLogin > len(g.Waiting) {
				fmt.Fprintf(w, "  ... and %d more (cozeauth grants list --server %s)\n", g.NeedsLogin-len(g.Waiting), base)
			}
		}
	}
	if len(st.Recent) == 0 {
		fmt.Fprintln(w, "\nRecent denials and errors: none")
		return
	}
	fmt.Fprintln(w, "\nRecent denials and errors (newest first):")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  TIME\tKIND\tCODE\tSTATUS\tAPP\tPOLICY\tCLIENT\tIP\tPATH")
	for _, e := range st.Recent {
		status := "-"
		if e.Status != 0 {
			status = fmt.Sprint(e.Status)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ts(&e.Time), dash(e.Kind), dash(e.Code), status, dash(e.App), dash(e.Policy),
			dash(e.Client), dash(e.IP), dash(e.Path))
	}
	tw.Flush()
}

// printable replaces control characters (a path a caller chose may hold
// terminal escapes) and tabs with U+FFFD.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
}
