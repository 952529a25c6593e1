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

// parseTokenRequest reads the caller's X-User-ID header and optional JSON
// body (or, for GET, query parameters) into a broker.Request, filling the
// app's defaults.
func (s *Server) parseTokenRequest(w http.ResponseWriter, r *http.Request) (broker.Request, *requestError) {
	var body tokenBody
	if r.Method == http.MethodGet {
		if err := bodyFromQuery(r, &body); err != nil {
			return broker.Request{}, err
		}
	} else if err := decodeBody(w, r, &body); err != nil {
		return broker.Request{}, err
	}
	session := s.cfg.DefaultSession
	if vs := r.Header.Values("X-User-ID"); len(vs) > 0 {
		if len(vs) > 1 {
			return broker.Request{}, badRequest("X-User-ID header given %d times: send it once", len(vs))
		}
		session = vs[0]
		if err := config.ValidSessionName(session); err != nil {
			return broker.Request{}, badRequest("X-User-ID header: %v", err)
		}
	}
	if body.SessionName != nil {
		session = *body.SessionName
		if err := config.ValidSessionName(session); err != nil {
			return broker.Request{}, badRequest("session_name: %v", err)
		}
	}
	app, ok := s.cfg.App(body.App)
	if !ok {
		return broker.Request{}, &requestError{http.StatusNotFound, "unknown_app", "no app named " + strconv.Quote(body.App) + " is configured"}
	}
	dur := app.Duration
	if body.DurationSeconds != nil {
		dur = *body.DurationSeconds
		if err := coze.ValidDuration(dur); err != nil {
			return broker.Request{}, badRequest("%v", err)
		}
	}
	scope := body.Scope
	if scope == nil {
		scope = app.Scope
	}
	return broker.Request{App: app.Name, Session: session, SessionContext: body.SessionContext, Scope: scope, Duration: dur}, nil
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
