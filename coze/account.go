package coze

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Account is the Coze account an access token acts for, as GET
// /v1/users/me names it.
type Account struct {
	UserID   string `json:"user_id"`
	UserName string `json:"user_name"`
	NickName string `json:"nick_name"`
}

// String names the account for people: "Nick (user_name, id)", or as much
// of it as is known.
func (a Account) String() string {
	name := a.NickName
	if name == "" {
		name = a.UserName
	}
	switch {
	case name == "" && a.UserID == "":
		return ""
	case name == "":
		return a.UserID
	case a.UserID == "":
		return name
	}
	return name + " (" + a.UserID + ")"
}

// Me asks Coze which account accessToken acts for (GET {apiBase}/v1/users/me).
// The token is sent once and never appears in the error.
func (c *Client) Me(ctx context.Context, apiBase, accessToken string) (Account, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(apiBase, "/")+"/v1/users/me", nil)
	if err != nil {
		return Account{}, fmt.Errorf("users/me: %w", err)
	}
	SetBearer(req.Header, accessToken)
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return Account{}, fmt.Errorf("users/me: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return Account{}, fmt.Errorf("users/me: reading the answer: %w", err)
	}
	var ans struct {
		Code int     `json:"code"`
		Msg  string  `json:"msg"`
		Data Account `json:"data"`
	}
	if err := json.Unmarshal(data, &ans); err != nil {
		return Account{}, fmt.Errorf("users/me: HTTP %d, not Coze's JSON answer", resp.StatusCode)
	}
	if ans.Code != 0 || resp.StatusCode != http.StatusOK {
		return Account{}, fmt.Errorf("users/me: HTTP %d, code %d: %s (log id %s)", resp.StatusCode, ans.Code, ans.Msg, resp.Header.Get("X-Tt-Logid"))
	}
	return ans.Data, nil
}
