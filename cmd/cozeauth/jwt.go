package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/doctor"
	"github.com/cozeauth/cozeauth/internal/human"
	"github.com/cozeauth/cozeauth/jwtinfo"
)

func newJWT() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "jwt",
		Short: "Decode, verify and sign JWT assertions for debugging",
	}
	cmd.AddCommand(newJWTDecode(), newJWTVerify(), newJWTSign())
	return cmd
}

// readToken takes the TOKEN argument, or stdin when it is "-".
func readToken(cmd *cobra.Command, arg string) (*jwtinfo.Token, error) {
	if arg == "-" {
		b, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), 1<<20))
		if err != nil {
			return nil, fmt.Errorf("read token from stdin: %w", err)
		}
		arg = string(b)
	}
	return jwtinfo.Parse(arg)
}

func newJWTDecode() *cobra.Command {
	return &cobra.Command{
		Use:   "decode TOKEN",
		Short: "Show a JWT's header, claims and times (TOKEN \"-\" reads stdin); does not verify",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tok, err := readToken(cmd, args[0])
			if err != nil {
				return err
			}
			u := newUI(cmd)
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "%s\n%s\n%s\n%s\n", u.pal.Bold("header"), jwtinfo.Indent(tok.Header, "  "), u.pal.Bold("claims"), jwtinfo.Indent(tok.Claims, "  "))
			printTimes(w, u, tok, time.Now())
			fmt.Fprintf(w, "%s\n  %d bytes, not verified (cozeauth jwt verify --pub FILE TOKEN checks it)\n", u.pal.Bold("signature"), len(tok.Signature))
			for _, l := range jwtinfo.Lint(tok) {
				u.note(doctor.Warn, l)
			}
			return nil
		},
	}
}

func printTimes(w io.Writer, u *ui, tok *jwtinfo.Token, now time.Time) {
	times := tok.Times()
	if len(times) == 0 {
		return
	}
	fmt.Fprintln(w, u.pal.Bold("times"))
	for _, t := range times {
		rel := human.Relative(t.At, now)
		if t.Name == "exp" {
			rel = human.Expiry(t.At, now)
		}
		fmt.Fprintf(w, "  %s  %s  (%s)\n", t.Name, human.Date(t.At), rel)
	}
}

func newJWTVerify() *cobra.Command {
	var pubFile string
	cmd := &cobra.Command{
		Use:   "verify --pub FILE TOKEN",
		Short: "Check a JWT's RS256 signature against a public key PEM, and its times; exit 1 if invalid",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(pubFile)
			if err != nil {
				return fmt.Errorf("--pub: %w", err)
			}
			pub, err := coze.ParsePublicKey(data)
			if err != nil {
				return fmt.Errorf("--pub %s: %w", pubFile, err)
			}
			tok, err := readToken(cmd, args[0])
			if err != nil {
				return err
			}
			u := newUI(cmd)
			bad := false
			sig := doctor.Check{Name: "signature", Status: doctor.OK,
				Summary: fmt.Sprintf("RS256 signature is valid for %s (%s)", pubFile, coze.Fingerprint(pub))}
			if err := jwtinfo.VerifySignature(tok, pub); err != nil {
				sig.Status, sig.Summary, bad = doctor.Fail, err.Error(), true
			}
			u.check(sig)
			now := time.Now()
			times := doctor.Check{Name: "times", Status: doctor.OK, Summary: "valid now"}
			if exp, ok := tok.Time("exp"); ok {
				times.Summary = "valid now, " + human.Expiry(exp, now)
			}
			if err := jwtinfo.CheckTimes(tok, now, 0); err != nil {
				times.Status, times.Summary, bad = doctor.Fail, err.Error(), true
			}
			u.check(times)
			for _, l := range jwtinfo.Lint(tok) {
				u.note(doctor.Warn, l)
			}
			if bad {
				return errReported
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&pubFile, "pub", "", "public key PEM (BEGIN PUBLIC KEY), e.g. public_key.pem from keygen")
	_ = cmd.MarkFlagRequired("pub")
	return cmd
}

func newJWTSign() *cobra.Command {
	var f tokenFlags
	cmd := &cobra.Command{
		Use:   "sign",
		Short: "Print the assertion cozeauth would send, and a ready curl line (on stderr)",
		Long: `Print the JWT assertion cozeauth would send to Coze's token endpoint, and on
stderr a ready curl line that exchanges it. An assertion is single-use (its
jti) and expires after the app's assertion_ttl (5 min): sign again to retry.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, app, err := loadApp(f.config, f.app)
			if err != nil {
				return err
			}
			req, err := jwtRequest(cfg, app, f.session, f.duration, f.scope)
			if err != nil {
				return err
			}
			s := app.Signer()
			assertion, err := s.Sign(time.Now(), req.Claims)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), assertion)
			body, err := tokenBody(s.ClientID, req)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "\n# app %q: app id %s, key id %s, aud %s; single use, valid for %s\ncurl -sS -X POST %s \\\n  -H 'Content-Type: application/json' \\\n  -H %s \\\n  -d %s\n",
				app.Name, s.ClientID, s.KeyID, s.Audience, human.Duration(s.TTL),
				shellQuote(req.TokenURL), shellQuote("Authorization: Bearer "+assertion), shellQuote(body))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.config, "config", "c", "", "YAML config file (default: $COZEAUTH_CONFIG, ./cozeauth.yaml, then the environment)")
	fl.StringVar(&f.app, "app", "", "app name (default: the default app)")
	fl.StringVar(&f.session, "session", "", "session_name claim (default: the configured default session)")
	fl.IntVar(&f.duration, "duration", 0, "duration_seconds for the curl body (default: the app's)")
	fl.StringVar(&f.scope, "scope", "", "scope for the curl body, as JSON or a file")
	return cmd
}

// tokenBody is the JSON body coze.Client sends with a JWT assertion.
func tokenBody(clientID string, req coze.JWTRequest) (string, error) {
	body := struct {
		GrantType string      `json:"grant_type"`
		Duration  int         `json:"duration_seconds"`
		ClientID  string      `json:"client_id,omitempty"`
		Scope     *coze.Scope `json:"scope,omitempty"`
	}{coze.GrantJWT, req.DurationSeconds, clientID, req.Scope}
	b, err := json.Marshal(body)
	return string(b), err
}
