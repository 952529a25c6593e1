package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
)

// checkOtherKind diagnoses an app that is not a JWT app. A PAT is shown
// to Coze (GET /v1/users/me): a token Coze accepts is the whole
// diagnosis. A web or PKCE app's secret and redirect URI are checked
// against what serve needs; its login itself is checked by logging in.
func (r *runner) checkOtherKind(ctx context.Context) {
	r.rep.Kind = r.app.Kind
	switch r.app.Kind {
	case "":
		r.rep.NotChecked = true
		r.skip("kind", "app kind", "the app's kind is not valid: see the configuration problems above")
	case config.KindPAT:
		r.checkPAT(ctx)
	case config.KindWeb, config.KindPKCE:
		r.rep.NotChecked = true
		r.checkRedirect()
		r.add(Check{ID: "login", Name: "login", Status: Skip,
			Summary: "a login is checked by logging in: POST /connect for a user, then open the link it answers"})
	case config.KindDevice:
		r.rep.NotChecked = true
		r.checkDeviceCode(ctx)
	default:
		r.rep.NotChecked = true
		r.add(Check{ID: "kind", Name: string(r.app.Kind) + " app", Status: Skip,
			Summary: fmt.Sprintf("not checked beyond its configuration: log a user in with `cozeauth login --app %s`", r.app.Name)})
	}
}

// checkDeviceCode asks Coze for a device code, as a login would: Coze
// answers one only for a device app it knows in this region (the code
// lapses unused; nothing is stored).
func (r *runner) checkDeviceCode(ctx context.Context) {
	c := Check{ID: "device_code", Name: "device code"}
	r.start("asking Coze for a device code")
	client := &coze.Client{HTTP: &http.Client{Transport: r.transport()}, Timeout: r.timeout(), UserAgent: r.o.UserAgent, Retry: coze.Backoff{Attempts: 1}}
	started := time.Now()
	d, err := client.DeviceCode(ctx, coze.DeviceCodeRequest{APIBase: r.app.APIBase, ClientID: r.app.ClientID, WorkspaceID: r.app.WorkspaceID()})
	c.ElapsedMS = time.Since(started).Milliseconds()
	switch ce, isCoze := coze.AsError(err); {
	case err == nil:
		c.Status = OK
		c.Summary = fmt.Sprintf("Coze gave a device code (%s, valid until %s): the app is a device app of this region; log a user in with `cozeauth login --app %s`",
			d.UserCode, d.ExpiresAt.Local().Format("15:04:05"), r.app.Name)
	case isCoze:
		c.Status, c.LogID = Fail, ce.LogID
		c.Summary = fmt.Sprintf("Coze refused the device code request: HTTP %d %s: %s", ce.Status, ce.Code, ce.Message)
		c.Cause = "the app id is unknown in this region, or the app is not a device app (TV 端/受限输入设备)"
		c.Fix = "check client_id (应用ID) and region; in the Coze console the app's client type must be the device one"
		if r.app.WorkspaceID() != "" {
			c.Fix += "; check workspace_id too"
		}
	default:
		c.Status, c.Summary = Fail, "Coze could not be asked for a device code: "+err.Error()
		c.Fix = "check the network and api_base"
	}
	r.add(c)
}

// checkRedirect: serve logs users in through LoginCallbackPath, so Coze
// must send them back there.
func (r *runner) checkRedirect() {
	c := Check{ID: "redirect", Name: "redirect URI"}
	ru := r.app.RedirectURI()
	u, err := url.Parse(ru)
	switch {
	case ru == "":
		c.Status, c.Summary = Fail, "no redirect URI is configured"
		c.Fix = "set redirect_uri to https://<this server>" + config.LoginCallbackPath + ", and list the same URI in the Coze console"
	case err != nil || !strings.HasSuffix(u.Path, config.LoginCallbackPath):
		c.Status, c.Summary = Fail, fmt.Sprintf("%s does not end in %s, where serve finishes logins", ru, config.LoginCallbackPath)
		c.Fix = "set redirect_uri (here and in the Coze console) to https://<this server>" + config.LoginCallbackPath
	default:
		c.Status, c.Summary = OK, ru+" is where serve finishes logins; the Coze console must list exactly this URI"
	}
	r.add(c)
	if r.app.Kind == config.KindWeb && r.app.Web.ClientSecret == "" {
		r.add(Check{ID: "secret", Name: "client secret", Status: Fail, Summary: "no client secret is loaded",
			Fix: "give client_secret_file (or COZE_CLIENT_SECRET): the console shows it once, under the app's credentials (客户端密钥)"})
	}
}

// checkPAT shows the token to Coze.
func (r *runner) checkPAT(ctx context.Context) {
	c := Check{ID: "exchange", Name: "token accepted"}
	r.start("asking Coze who the token belongs to")
	ctx, cancel := context.WithTimeout(ctx, r.timeout())
	defer cancel()
	started := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(r.app.APIBase, "/")+"/v1/users/me", nil)
	if err != nil {
		c.Status, c.Summary = Fail, "the API base is not a URL: "+err.Error()
		r.add(c)
		return
	}
	coze.SetBearer(req.Header, r.app.PAT.Token.Reveal())
	if r.o.UserAgent != "" {
		req.Header.Set("User-Agent", r.o.UserAgent)
	}
	resp, err := r.transport().RoundTrip(req)
	c.ElapsedMS = time.Since(started).Milliseconds()
	if err != nil {
		c.Status, c.Summary = Fail, "Coze could not be reached at "+r.app.APIBase
		c.Fix = "check the network and api_base"
		r.add(c)
		return
	}
	defer resp.Body.Close()
	c.LogID = resp.Header.Get("X-Tt-Logid")
	var ans struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
		Data struct {
			UserID   string `json:"user_id"`
			UserName string `json:"user_name"`
		} `json:"data"`
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = json.Unmarshal(data, &ans)
	switch {
	case resp.StatusCode == http.StatusOK && ans.Code == 0:
		c.Status = OK
		c.Summary = "Coze accepts the token"
		if ans.Data.UserID != "" {
			c.Summary += fmt.Sprintf(": it belongs to user %s (%s)", ans.Data.UserID, ans.Data.UserName)
		}
		r.rep.TokenObtained = true
		r.rep.OK = true
	case ans.Code == 4100 || resp.StatusCode == http.StatusUnauthorized:
		c.Status, c.Summary = Fail, fmt.Sprintf("Coze refuses the token (HTTP %d, code %d)", resp.StatusCode, ans.Code)
		c.Cause = "the token expired, was deleted, or belongs to another region (coze.cn and coze.com tokens differ)"
		c.Fix = "make a new one in the Coze console (个人访问令牌 / 服务访问令牌) and check the region of api_base"
	default:
		c.Status, c.Summary = Fail, fmt.Sprintf("Coze answered HTTP %d, code %d", resp.StatusCode, ans.Code)
	}
	r.add(c)
}
