package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/policy"
)

// tokenBody is the optional JSON body of a token request.
type tokenBody struct {
	App             string               `json:"app"`
	SessionName     *string              `json:"session_name"`
	DurationSeconds *int                 `json:"duration_seconds"`
	Scope           *coze.Scope          `json:"scope"`
	SessionContext  *coze.SessionContext `json:"session_context"`
}

type requestError struct {
	status    int
	code, msg string
}

func badRequest(format string, args ...any) *requestError {
	return &requestError{http.StatusBadRequest, "bad_request", fmt.Sprintf(format, args...)}
}

// sessionHeader reads the caller's X-User-ID header, if any, into in.
func sessionHeader(r *http.Request, in *policy.Input) *requestError {
	vs := r.Header.Values("X-User-ID")
	switch {
	case len(vs) == 0:
		return nil
	case len(vs) > 1:
		return badRequest("X-User-ID header given %d times: send it once", len(vs))
	}
	if err := config.ValidSessionName(vs[0]); err != nil {
		return badRequest("X-User-ID header: %v", err)
	}
	in.Session, in.SessionGiven = vs[0], true
	return nil
}

// parseTokenRequest reads the caller's X-User-ID header and optional JSON
// body (or, for GET, query parameters) into what the caller asked for.
func parseTokenRequest(w http.ResponseWriter, r *http.Request) (policy.Input, *coze.SessionContext, *requestError) {
	var body tokenBody
	var in policy.Input
	if r.Method == http.MethodGet {
		if err := bodyFromQuery(r, &body); err != nil {
			return in, nil, err
		}
	} else if err := decodeBody(w, r, &body); err != nil {
		return in, nil, err
	}
	if perr := sessionHeader(r, &in); perr != nil {
		return in, nil, perr
	}
	if body.SessionName != nil {
		if err := config.ValidSessionName(*body.SessionName); err != nil {
			return in, nil, badRequest("session_name: %v", err)
		}
		in.Session, in.SessionGiven = *body.SessionName, true
	}
	if body.DurationSeconds != nil {
		if err := coze.ValidDuration(*body.DurationSeconds); err != nil {
			return in, nil, badRequest("%v", err)
		}
		in.Duration = *body.DurationSeconds
	}
	in.App, in.Scope = body.App, body.Scope
	return in, body.SessionContext, nil
}

// decide turns what the caller asked for into the token to hand out:
// through the caller's policy, then the app's defaults.
func (s *Server) decide(c *caller, in policy.Input, sctx *coze.SessionContext) (broker.Request, *policy.Denied) {
	d := policy.Decision{App: in.App, Scope: in.Scope, Duration: in.Duration}
	if in.SessionGiven {
		d.Session = in.Session
	}
	if c.policy != nil {
		in.Client, in.CookieSession = c.client, c.visitor
		var err error
		if d, err = c.policy.Decide(in); err != nil {
			return broker.Request{}, err.(*policy.Denied)
		}
	}
	app, ok := s.conf().App(d.App)
	if !ok {
		return broker.Request{}, &policy.Denied{Status: http.StatusNotFound, Code: "unknown_app", Msg: "no app named " + strconv.Quote(d.App) + " is configured"}
	}
	if d.Scope == nil {
		d.Scope = app.Scope
	}
	if c.policy != nil {
		c.policy.ClampDuration(&d, app.Duration)
	} else if d.Duration == 0 {
		d.Duration = app.Duration
	}
	if d.Session == "" && !in.SessionGiven {
		d.Session = s.conf().DefaultSession
	}
	if err := config.ValidSessionName(d.Session); err != nil {
		return broker.Request{}, &policy.Denied{Status: http.StatusBadRequest, Code: "bad_request", Msg: "session name: " + err.Error()}
	}
	return broker.Request{App: app.Name, Session: d.Session, SessionContext: sctx, Scope: d.Scope, Duration: d.Duration}, nil
}

// decodeBody decodes an optional JSON body: empty is fine; otherwise one
// JSON object, no unknown fields, at most MaxBodyBytes.
func decodeBody(w http.ResponseWriter, r *http.Request, dst *tokenBody) *requestError {
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return &requestError{http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("request body is over %d bytes", MaxBodyBytes)}
	case err != nil:
		return badRequest("reading request body: %v", err)
	case len(data) == 0:
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return badRequest("request body: %s; expected a JSON object with optional app, session_name, duration_seconds, scope, session_context", jsonProblem(err))
	}
	if dec.More() {
		return badRequest("request body: more than one JSON value")
	}
	return nil
}

func bodyFromQuery(r *http.Request, dst *tokenBody) *requestError {
	q := r.URL.Query()
	for k := range q {
		switch k {
		case "app", "session_name", "duration_seconds":
		default:
			return badRequest("unknown query parameter %q: use app, session_name or duration_seconds", k)
		}
	}
	dst.App = q.Get("app")
	if q.Has("session_name") {
		v := q.Get("session_name")
		dst.SessionName = &v
	}
	if v := q.Get("duration_seconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return badRequest("duration_seconds %q is not a whole number", v)
		}
		dst.DurationSeconds = &n
	}
	return nil
}

// jsonProblem describes a decoding error without echoing the input.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q must be %s, not %s", te.Field, te.Type, te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	}
	return err.Error()
}
