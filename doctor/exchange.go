package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/internal/human"
)

// checkExchange signs an assertion and exchanges it as serve would. On
// "kid not been registred" it tries the other region.
func (r *runner) checkExchange(ctx context.Context) {
	const id, name = "exchange", "token exchange"
	switch {
	case r.app == nil:
		r.skip(id, name, "no app to check")
		return
	case r.app.JWT.Key == nil:
		r.skip(id, name, "no usable private key")
		return
	case !r.idsOK:
		r.skip(id, name, "fix the app id and key id first")
		return
	case r.probe == nil:
		r.skip(id, name, "Coze is unreachable")
		return
	}
	c := Check{ID: id, Name: name, Status: Fail}
	r.start("exchanging an assertion at " + hostOf(r.app.APIBase))
	start := time.Now()
	tok, logID, err := r.exchange(ctx, r.app.Signer(), r.app.TokenURL())
	c.ElapsedMS = time.Since(start).Milliseconds()
	c.LogID = logID
	if err == nil {
		c.Status = OK
		c.Summary = fmt.Sprintf("got an access token (%s, %s)", tok.TokenType, human.Expiry(tok.ExpiresAt, time.Now()))
		r.rep.TokenObtained = true
		r.add(c)
		return
	}
	c.Summary = refusal(err)
	var ue *coze.UnreachableError
	ce, isCoze := coze.AsError(err)
	switch {
	case errors.As(err, &ue):
		_, c.Cause, c.Fix = explainNet(ue.Err, r.app.APIBase, "", r.timeout())
	case !isCoze:
		c.Cause = "the exchange failed before reaching Coze"
	case kidUnknown(ce):
		r.tryOtherRegion(ctx, &c)
	default:
		c.Cause, c.Fix = r.explainRefusal(ce)
	}
	r.add(c)
}

// tryOtherRegion runs after "kid not been registred": the app is most
// often in the other region. It swaps API base and aud and tries there.
func (r *runner) tryOtherRegion(ctx context.Context, c *Check) {
	a := r.app
	cur := a.Region
	if cur != coze.RegionCN && cur != coze.RegionCOM {
		c.Cause = fmt.Sprintf("the Coze at %s does not know key id %q (公钥指纹)", a.APIBase, a.JWT.KeyID)
		c.Fix = "copy the public key id (公钥指纹) again from the app's page in the console, and check api_base names the Coze the app was made on"
		return
	}
	other := cur.Other()
	base := r.base(other)
	s := *a.Signer()
	s.Audience = other.Audience()
	r.start("trying coze." + string(other))
	_, logID, err := r.exchange(ctx, &s, coze.TokenURL(base, a.AccountID, a.EnterpriseID))
	outcome := "got a token"
	if err != nil {
		outcome = refusal(err)
	}
	c.Details = append(c.Details, fmt.Sprintf("tried coze.%s (%s, aud %s) as well: %s%s", other, base, s.Audience, outcome, logSuffix(logID)))
	ce, isCoze := coze.AsError(err)
	var ue *coze.UnreachableError
	switch {
	case err == nil:
		r.rep.SuggestedRegion = other
		c.Cause = fmt.Sprintf("your app is on coze.%s: set region %s", other, other)
		c.Fix = r.regionFix(other)
	case isCoze && kidUnknown(ce):
		c.Cause = fmt.Sprintf("key id %q (公钥指纹) is registered neither on coze.cn nor on coze.com: it was mistyped, copied from another app, or the key was deleted", a.JWT.KeyID)
		c.Fix = "open the app in the console (API 授权 / Authorization → OAuth 应用 → your 服务类应用) and copy the public key id (公钥指纹) next to the key again; if no key is listed, add public_key.pem (添加公钥)"
	case errors.As(err, &ue) || !isCoze:
		c.Cause = fmt.Sprintf("coze.%s does not know key id %q, and coze.%s could not be reached to check whether the app is there", cur, a.JWT.KeyID, other)
		c.Fix = "copy the key id (公钥指纹) again from the console; if the app was made on coze." + string(other) + ", " + r.regionFix(other)
	default:
		// The key id is known there, so the app is there, with another problem.
		r.rep.SuggestedRegion = other
		cause, fix := r.explainRefusal(ce)
		c.Cause = fmt.Sprintf("your app is on coze.%s: set region %s; there, Coze refuses for another reason: %s", other, other, cause)
		c.Fix = r.regionFix(other) + "; then: " + fix
	}
}

// regionFix says how to set the region where the configuration came from.
func (r *runner) regionFix(reg coze.Region) string {
	if r.cfg.Source == "environment" {
		return fmt.Sprintf("set COZE_REGION=%s, and unset COZE_API_BASE, AUDIENCE / COZE_AUD and TOKEN_ENDPOINT if they name coze.%s", reg, reg.Other())
	}
	return fmt.Sprintf("in %s set region: %s for app %q, and remove api_base, audience and token_url if they name coze.%s", r.cfg.Source, reg, r.app.Name, reg.Other())
}

// exchange does one JWT exchange without retries and returns Coze's log id
// whatever the outcome.
func (r *runner) exchange(ctx context.Context, s *coze.Signer, tokenURL string) (*coze.Token, string, error) {
	rec := &recorder{next: r.transport()}
	cl := &coze.Client{HTTP: &http.Client{Transport: rec}, Timeout: r.timeout(), Retry: coze.Backoff{Attempts: 1}, UserAgent: r.o.UserAgent}
	tok, err := cl.JWTToken(ctx, s, coze.JWTRequest{
		TokenURL:        tokenURL,
		DurationSeconds: r.app.Duration,
		Scope:           r.app.Scope,
		Claims:          coze.Claims{SessionName: r.cfg.DefaultSession},
	})
	logID := rec.logID()
	if ce, ok := coze.AsError(err); ok && ce.LogID != "" {
		logID = ce.LogID
	}
	return tok, logID, err
}

// recorder remembers the X-Tt-Logid of the last answer, which coze.Client
// does not return on success.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	id   string
}

func (rc *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := rc.next.RoundTrip(req)
	if err == nil {
		rc.mu.Lock()
		rc.id = resp.Header.Get("X-Tt-Logid")
		rc.mu.Unlock()
	}
	return resp, err
}

func (rc *recorder) logID() string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.id
}

// refusal is err without the log id, which the check shows on its own.
func refusal(err error) string {
	if ce, ok := coze.AsError(err); ok {
		s := fmt.Sprintf("Coze refused: HTTP %d", ce.Status)
		if ce.Code != "" {
			s += " " + ce.Code
		}
		if ce.Message != "" {
			s += ": " + ce.Message
		}
		return s
	}
	return err.Error()
}

func logSuffix(id string) string {
	if id == "" {
		return ""
	}
	return " (log id " + id + ")"
}

func hostOf(base string) string {
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		return u.Host
	}
	return base
}
