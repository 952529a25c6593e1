package emulator_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/emulator"
)

// FuzzResourceRequests sends arbitrary methods, paths, queries and bodies
// to the resource endpoints of one long-lived emulator: every answer is
// Coze's JSON envelope (or a well-formed event stream), never a panic, and
// the state never grows past its bounds.
func FuzzResourceRequests(f *testing.F) {
	ws, bot, wf, ds := emulator.SeedWorkspaceID, emulator.SeedBotID, emulator.SeedWorkflowID, emulator.SeedDatasetID
	for _, s := range [][3]string{
		{"GET", "/v1/workspaces?page_num=1&page_size=2", ""},
		{"GET", "/v1/space/published_bots_list?space_id=" + ws + "&page_index=2", ""},
		{"GET", "/v1/bots?workspace_id=" + ws + "&publish_status=all", ""},
		{"GET", "/v1/bots/" + bot + "?is_published=true", ""},
		{"POST", "/v1/bot/create", `{"space_id":"` + ws + `","name":"n","workflow_id_list":{"ids":[{"id":"` + wf + `"}]}}`},
		{"POST", "/v1/bot/update", `{"bot_id":"` + bot + `","name":"x","knowledge":{"dataset_ids":["` + ds + `"]}}`},
		{"POST", "/v1/bot/publish", `{"bot_id":"` + bot + `","connector_ids":["1024"]}`},
		{"GET", "/v1/files/retrieve?file_id=1", ""},
		{"POST", "/v1/workflow/run", `{"workflow_id":"` + wf + `","parameters":{"a":[1,{"b":null}]},"is_async":true}`},
		{"POST", "/v1/workflow/stream_run", `{"workflow_id":"` + emulator.SeedQuestionWorkflowID + `"}`},
		{"POST", "/v1/workflow/stream_resume", `{"workflow_id":"` + emulator.SeedQuestionWorkflowID + `","event_id":"1/2","resume_data":"a","interrupt_type":2}`},
		{"POST", "/v1/workflows/chat", `{"workflow_id":"` + wf + `","additional_messages":[{"role":"user","content":"hi"}]}`},
		{"GET", "/v1/workflows/" + wf + "/run_histories/1", ""},
		{"POST", "/v1/datasets", `{"name":"d","space_id":"` + ws + `","format_type":2}`},
		{"PUT", "/v1/datasets/" + ds, `{"name":"d"}`},
		{"POST", "/v1/datasets/" + ds + "/process", `{"document_ids":["` + emulator.SeedDocumentID + `"]}`},
		{"GET", "/v1/datasets/" + ds + "/images?has_caption=true", ""},
		{"POST", "/open_api/knowledge/document/create", `{"dataset_id":"` + ds + `","document_bases":[{"name":"a","source_info":{"file_base64":"eA==","file_type":"txt"}}]}`},
		{"POST", "/open_api/knowledge/document/list", `{"dataset_id":"` + ds + `","page":1}`},
		{"GET", "/v1/audio/voices?page_size=3", ""},
		{"DELETE", "/v1/datasets/" + ds, ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	srv := emulator.New(emulator.Options{StreamDelay: -1})
	srv.AddPAT(resPAT, resUser)
	const limit = 6
	emulator.SetResourceLimit(srv, limit)
	f.Fuzz(func(t *testing.T, method, target, body string) {
		if !strings.HasPrefix(target, "/") {
			target = "/" + target
		}
		req, err := http.NewRequest(method, "http://emulator"+target, strings.NewReader(body))
		if err != nil {
			return
		}
		switch p := req.URL.Path; {
		case !strings.HasPrefix(p, "/v1/") && !strings.HasPrefix(p, "/open_api/"),
			p == "/v1/chat", p == "/v1/users/me", p == "/v1/files/upload":
			return // other endpoints, fuzzed elsewhere
		}
		req.Header.Set("Authorization", resAuth)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		res := rec.Result()
		raw, _ := io.ReadAll(res.Body)
		switch ct := res.Header.Get("Content-Type"); ct {
		case "application/json":
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatalf("%s %s: not JSON: %q", method, target, raw)
			}
			if _, ok := m["code"].(float64); !ok {
				t.Fatalf("%s %s: no code: %s", method, target, raw)
			}
			if m["code"] != 0.0 {
				detail, _ := m["detail"].(map[string]any)
				if msg, _ := m["msg"].(string); msg == "" || detail["logid"] != res.Header.Get("X-Tt-Logid") {
					t.Fatalf("%s %s: error without msg or logid: %s", method, target, raw)
				}
			}
			if res.StatusCode >= 500 {
				t.Fatalf("%s %s: %d %s", method, target, res.StatusCode, raw)
			}
		case "text/event-stream":
			br := bufio.NewReader(bytes.NewReader(raw))
			for {
				line, err := br.ReadString('\n')
				if err == io.EOF && line == "" {
					break
				}
				if err != nil {
					t.Fatalf("%s %s: unterminated line %q", method, target, line)
				}
				if v, ok := strings.CutPrefix(line, "data:"); ok && !json.Valid([]byte(v)) {
					t.Fatalf("%s %s: data is not JSON: %q", method, target, line)
				}
			}
		default:
			t.Fatalf("%s %s: Content-Type %q: %q", method, target, ct, raw)
		}
		for i, n := range emulator.ResourceCounts(srv) {
			if n > limit {
				t.Fatalf("resource %d holds %d entries, more than %d", i, n, limit)
			}
		}
	})
}
