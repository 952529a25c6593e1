package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// FaultsPath is the emulator's fault switchboard: GET lists the queued
// faults, POST queues one, DELETE clears them all.
const FaultsPath = "/_emulator/faults"

// faultJSON is a Fault on the wire of FaultsPath.
type faultJSON struct {
	Path       string `json:"path"`
	Times      int    `json:"times"`
	LatencyMS  int64  `json:"latency_ms"`
	Status     int    `json:"status"`
	RetryAfter string `json:"retry_after"`
	Drop       bool   `json:"drop"`
	LoseAnswer bool   `json:"lose_answer"`
	CutAfter   int    `json:"cut_after"`
}

// maxFaultBody bounds a POST to FaultsPath.
const maxFaultBody = 8 << 10

// serveFaults answers FaultsPath. POST takes one JSON object:
//
//	{"path":"/v3/chat","times":2,"latency_ms":0,"status":429,
//	 "retry_after":"1","drop":false,"lose_answer":false,"cut_after":0}
//
// (every field optional; "path" "" is the token endpoints, "/" every
// path) and answers {"queued":N}; GET answers {"faults":[...]}; DELETE
// answers {"cleared":N}. Bad input gets 400 with Coze's error shape.
func (s *Server) serveFaults(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		fs := s.Faults()
		out := make([]faultJSON, len(fs))
		for i, f := range fs {
			out[i] = faultJSON{Path: f.Path, Times: f.Times, LatencyMS: f.Latency.Milliseconds(), Status: f.Status,
				RetryAfter: f.RetryAfter, Drop: f.Drop, LoseAnswer: f.LoseAnswer, CutAfter: f.CutAfter}
		}
		writeJSON(w, http.StatusOK, map[string]any{"faults": out})
	case http.MethodDelete:
		s.mu.Lock()
		n := len(s.faults)
		s.faults = nil
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"cleared": n})
	case http.MethodPost:
		f, why := readFault(w, r)
		if why == "" {
			why = s.inject(f)
		}
		if why != "" {
			writeAPIError(w, http.StatusBadRequest, 4000, "invalid fault: "+why+
				`; POST a JSON object such as {"path":"/v3/chat","status":429,"retry_after":"1","times":1}`)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"queued": len(s.Faults())})
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		writeAPIError(w, http.StatusMethodNotAllowed, 4000, "method not allowed: use GET, POST or DELETE")
	}
}

// readFault decodes a POSTed fault, or says what is wrong with it.
func readFault(w http.ResponseWriter, r *http.Request) (Fault, string) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFaultBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return Fault{}, fmt.Sprintf("the body is over %d bytes", maxFaultBody)
		}
		return Fault{}, "cannot read the body"
	}
	var fj faultJSON
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fj); err != nil || dec.More() {
		return Fault{}, "the body must be one JSON object with the fields path, times, latency_ms, status, retry_after, drop, lose_answer, cut_after"
	}
	if fj.LatencyMS < 0 || fj.LatencyMS > MaxFaultLatency.Milliseconds() {
		return Fault{}, fmt.Sprintf("latency_ms must be between 0 and %d", MaxFaultLatency.Milliseconds())
	}
	return Fault{Path: fj.Path, Times: fj.Times, Latency: time.Duration(fj.LatencyMS) * time.Millisecond, Status: fj.Status,
		RetryAfter: fj.RetryAfter, Drop: fj.Drop, LoseAnswer: fj.LoseAnswer, CutAfter: fj.CutAfter}, ""
}
