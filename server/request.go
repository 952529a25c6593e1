package server

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/policy"
)

// MaxScopeBytes and MaxSessionContextBytes cap the JSON of a token
// request's scope and session_context: both end up in every cached
// token's key and in the grant sent to Coze.
const (
	MaxScopeBytes          = 8 << 10
	MaxSessionContextBytes = 8 << 10
)

// tokenBody is the optional JSON body of a token request.
type tokenBody struct {
	App             string          `json:"app"`
	SessionName     *string         `json:"session_name"`
	DurationSeconds *int            `json:"duration_seconds"`
	Scope           json.RawMessage `json:"scope"`
	SessionContext  json.RawMessage `json:"session_context"`
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
	vs := r.Header["X-User-Id"] // canonical form: no allocation per request
	switch {
	case len(vs) == 0:
		return nil
	case len(vs) > 1:
		return badRequest("X-User-ID header given %d times: send it once", len(vs))
	}
	if vs[0] == "" {
		return badRequest("X-User-ID header is empty: send a session name, or leave the header out")
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
	var in policy.Input
	var got *tokenBody
	var perr *requestError
	if r.Method == http.MethodGet {
		got, perr = bodyFromQuery(r)
	} else {
		got, perr = decodeBody(w, r)
	}
	if perr != nil {
		return in, nil, perr
	}
	var body tokenBody // stays on the stack when there is no body
	if got != nil {
		body = *got
	}
	if perr := sessionHeader(r, &in); perr != nil {
		return in, nil, perr
	}
	if body.SessionName != nil {
		if *body.SessionName == "" {
			return in, nil, badRequest("session_name is empty: send a session name, or leave the field out")
		}
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
	in.App = body.App
	if in.Scope, perr = decodeCapped[coze.Scope]("scope", body.Scope, MaxScopeBytes); perr != nil {
		return in, nil, perr
	}
	sctx, perr := decodeCapped[coze.SessionContext]("session_context", body.SessionContext, MaxSessionContextBytes)
	if perr != nil {
		return in, nil, perr
	}
	return in, sctx, nil
}

// decodeCapped decodes the JSON object raw of field name, after checking
// it is at most limit bytes; absent or null is nil. (It returns the value
// rather than filling a pointer, so the caller's values stay off the heap.)
func decodeCapped[T any](name string, raw json.RawMessage, limit int) (*T, *requestError) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if len(raw) > limit {
		return nil, badRequest("%s is %d bytes of JSON: at most %d (%d KiB) are accepted; send a smaller one", name, len(raw), limit, limit>>10)
	}
	dst := new(T)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return nil, badRequest("%s: %s", name, jsonProblem(err))
	}
	return dst, nil
}

// decide turns what the caller asked for into the token to hand out. With
// a policy, the server resolves the app first and the policy decides
// against that app's defaults (policy.Decide); in open mode the caller
// gets what it asks of the default app. Owner partitions the cache: the
// client's identity, the public policy's visitors, or "" in open mode.
func (s *Server) decide(c *caller, in policy.Input, sctx *coze.SessionContext) (broker.Request, *policy.Denied) {
	if in.SessionGiven && in.Session == "" {
		return broker.Request{}, &policy.Denied{Status: http.StatusBadRequest, Code: "bad_request", Msg: "the session name is empty: send a non-empty X-User-ID or session_name, or none"}
	}
	in.SessionContext = sctx != nil
	var d policy.Decision
	var owner string
	gen := c.gen
	if gen == nil {
		gen = s.access.Load()
	}
	cfg := gen.cfg
	app, found := cfg.App(in.App)
	if c.policy == nil {
		if !found {
			return broker.Request{}, unknownApp(in.App)
		}
		d = policy.Decision{App: app.Name, Session: in.Session, Scope: cmp.Or(in.Scope, app.Scope), Duration: cmp.Or(in.Duration, app.Duration)}
	} else {
		name := c.policy.AppFor(in.App)
		app, found = cfg.App(name)
		var defaults policy.AppDefaults
		if found {
			defaults = policy.AppDefaults{Scope: app.Scope, Duration: app.Duration}
		}
		in.Client, in.CookieSession = c.id, c.visitor
		in.FixedSessions = gen.fixed
		var err error
		if d, err = c.policy.Decide(in, defaults); err != nil {
			return broker.Request{}, err.(*policy.Denied)
		}
		if !found {
			return broker.Request{}, unknownApp(name)
		}
		owner = c.id
		if owner == "" {
			owner = policy.VisitorOwner(c.policy)
		}
		if d.Session == "" && slices.Contains(in.FixedSessions, cfg.DefaultSession) {
			return broker.Request{}, &policy.Denied{Status: http.StatusForbidden, Code: "session_not_allowed",
				Msg: "the default session " + strconv.Quote(cfg.DefaultSession) + " is reserved for a policy with a fixed session: name a session with X-User-ID"}
		}
	}
	if d.Session == "" {
		d.Session = cfg.DefaultSession
	}
	if err := config.ValidSessionName(d.Session); err != nil {
		return broker.Request{}, &policy.Denied{Status: http.StatusBadRequest, Code: "bad_request", Msg: "session name: " + err.Error()}
	}
	return broker.Request{App: app.Name, Owner: owner, Session: d.Session, SessionContext: sctx, Scope: d.Scope, Duration: d.Duration}, nil
}

func unknownApp(name string) *policy.Denied {
	return &policy.Denied{Status: http.StatusNotFound, Code: "unknown_app", Msg: "no app named " + strconv.Quote(name) + " is configured"}
}

// decodeBody decodes an optional JSON body: empty is fine (nil);
// otherwise one JSON object, no unknown fields, at most MaxBodyBytes.
func decodeBody(w http.ResponseWriter, r *http.Request) (*tokenBody, *requestError) {
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, &requestError{http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("request body is over %d bytes", MaxBodyBytes)}
	case err != nil:
		return nil, badRequest("reading request body: %v", err)
	case len(data) == 0:
		return nil, nil
	}
	dst := new(tokenBody)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return nil, badRequest("request body: %s; expected a JSON object with optional app, session_name, duration_seconds, scope, session_context", jsonProblem(err))
	}
	if dec.More() {
		return nil, badRequest("request body: more than one JSON value")
	}
	return dst, nil
}

func bodyFromQuery(r *http.Request) (*tokenBody, *requestError) {
	q := r.URL.Query()
	for k := range q {
		switch k {
		case "app", "session_name", "duration_seconds":
		default:
			return nil, badRequest("unknown query parameter %q: use app, session_name or duration_seconds", k)
		}
	}
	dst := &tokenBody{App: q.Get("app")}
	if q.Has("session_name") {
		v := q.Get("session_name")
		dst.SessionName = &v
	}
	if v := q.Get("duration_seconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, badRequest("duration_seconds %q is not a whole number", v)
		}
		dst.DurationSeconds = &n
	}
	return dst, nil
}

// jsonProblem describes a decoding error without echoing the input.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return typeProblem(te)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	}
	return err.Error()
}
