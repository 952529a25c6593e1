package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// remoteLogin asks a running serve for the login (POST /connect): for a
// device app serve shows a code, polls Coze and keeps the grant in its
// own store, and this follows it at the status URL; for a web or pkce app
// it prints the connect link to open in the user's browser.
func remoteLogin(ctx context.Context, cmd *cobra.Command, base, app, subject string) error {
	base = strings.TrimRight(base, "/")
	hc := &http.Client{Timeout: 40 * time.Second}
	body, _ := json.Marshal(map[string]string{"app": app, "subject": subject})
	var ans struct {
		URL             string `json:"url"`
		VerificationURL string `json:"verification_url"`
		UserCode        string `json:"user_code"`
		ExpiresAt       int64  `json:"expires_at"`
		StatusURL       string `json:"status_url"`
	}
	if err := askServer(ctx, hc, http.MethodPost, base+"/connect", body, &ans); err != nil {
		return err
	}
	if ans.URL != "" {
		fmt.Fprintf(cmd.ErrOrStderr(), "Open this link in %q's browser within 10 minutes; it works once:\n\n", subject)
		fmt.Fprintln(cmd.OutOrStdout(), ans.URL)
		return nil
	}
	if ans.UserCode == "" || !strings.HasPrefix(ans.StatusURL, "/") {
		return fmt.Errorf("%s answered /connect without a device code: is it a cozeauth server?", base)
	}
	wait := showDeviceCode(cmd.ErrOrStderr(), cmp.Or(app, "(default app)"), subject, ans.VerificationURL, ans.UserCode, time.Unix(ans.ExpiresAt, 0))
	defer wait.Stop()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return errors.New("stopped: the server waits for the approval until the code expires, and keeps the grant only if it comes")
		case <-tick.C:
		}
		var st struct {
			State, App, Subject, Account, Reason string
		}
		if err := askServer(ctx, hc, http.MethodGet, base+ans.StatusURL, nil, &st); err != nil {
			if ctx.Err() != nil {
				continue
			}
			return err
		}
		switch st.State {
		case "pending":
			continue
		case "connected":
			wait.Stop()
			fmt.Fprintf(cmd.OutOrStdout(), "connected: app %s, subject %s, Coze account %s; the grant is kept by %s\n", st.App, st.Subject, cmp.Or(st.Account, "(Coze did not say)"), base)
			return nil
		}
		return fmt.Errorf("not connected (%s): %s; nothing was stored", st.State, st.Reason)
	}
}

// askServer sends one request to serve (with $COZEAUTH_KEY as client key
// when set) and decodes its JSON answer, or says what serve refused.
func askServer(ctx context.Context, hc *http.Client, method, u string, body []byte, dst any) error {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("--server: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if k := os.Getenv("COZEAUTH_KEY"); k != "" {
		req.Header.Set("Authorization", "Bearer "+k)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("asking serve: %w", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil && e.Error.Message != "" {
			return fmt.Errorf("serve refused (%d %s): %s", resp.StatusCode, e.Error.Code, e.Error.Message)
		}
		return fmt.Errorf("serve answered HTTP %d", resp.StatusCode)
	}
	if err := json.Unmarshal(data, dst); err != nil {
		return fmt.Errorf("serve's answer is not the JSON expected: %v", err)
	}
	return nil
}

// loopbackAddr is where this machine reaches a server listening on addr
// (":8080" and "0.0.0.0:8080" become 127.0.0.1:8080).
func loopbackAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
