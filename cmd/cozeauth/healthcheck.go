package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/spf13/cobra"
)

// DefaultHealthURL is what `cozeauth healthcheck` asks when given no URL.
const DefaultHealthURL = "http://127.0.0.1:8080/healthz"

func newHealthcheck() *cobra.Command {
	var target string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Exit 0 when a running cozeauth answers GET /healthz with 200 (for Docker's HEALTHCHECK)",
		Long: `Ask a running cozeauth for GET /healthz and exit 0 when it answers 200, 1 otherwise.

It needs no shell or curl, so it works as the HEALTHCHECK of an image with
neither (distroless, scratch). The URL is --url, else $COZEAUTH_HEALTHCHECK_URL,
else ` + DefaultHealthURL + `. An https URL to a loopback address is not
checked against the certificate's names (the certificate names the public
host, the check asks 127.0.0.1); any other https URL is verified as usual.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			u := target
			if u == "" {
				u = os.Getenv("COZEAUTH_HEALTHCHECK_URL")
			}
			if u == "" {
				u = DefaultHealthURL
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			if err := healthcheck(ctx, u); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "healthy:", u)
			return nil
		},
	}
	cmd.Flags().StringVar(&target, "url", "", "health URL to ask (default $COZEAUTH_HEALTHCHECK_URL, else "+DefaultHealthURL+")")
	cmd.Flags().DurationVar(&timeout, "timeout", 3*time.Second, "give up after this long")
	return cmd
}

// healthcheck GETs rawURL and reports nil only for a 200 answer.
func healthcheck(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("healthcheck: %q is not an http(s) URL; give one like %s", rawURL, DefaultHealthURL)
	}
	tr := &http.Transport{Proxy: nil, DisableKeepAlives: true}
	if ip := net.ParseIP(u.Hostname()); u.Scheme == "https" && (u.Hostname() == "localhost" || ip != nil && ip.IsLoopback()) {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} // loopback only: see the command's help
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %s did not answer: %v (is cozeauth serving there? give the address with --url)", u.Redacted(), err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered HTTP %d, not 200", u.Redacted(), resp.StatusCode)
	}
	return nil
}
