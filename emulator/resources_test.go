package emulator_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/cozeauth/cozeauth/emulator"
)

// Every resource endpoint answers Coze's 401 without a valid token, and
// Coze's 405 shape for a wrong method.
func TestResourcesAuthAndMethod(t *testing.T) {
	f := newResFixture(t)
	for _, c := range []struct{ method, path, wrong string }{
		{"GET", "/v1/workspaces", "POST"},
		{"GET", "/v1/space/published_bots_list?space_id=" + emulator.SeedWorkspaceID, "POST"},
		{"GET", "/v1/bots?workspace_id=" + emulator.SeedWorkspaceID, "POST"},
		{"GET", "/v1/bots/" + emulator.SeedBotID, "DELETE"},
		{"GET", "/v1/bot/get_online_info?bot_id=" + emulator.SeedBotID, "POST"},
		{"POST", "/v1/bot/create", "GET"},
		{"POST", "/v1/bot/update", "GET"},
		{"POST", "/v1/bot/publish", "GET"},
		{"GET", "/v1/files/retrieve?file_id=1", "POST"},
		{"POST", "/v1/workflow/run", "GET"},
		{"POST", "/v1/workflow/stream_run", "GET"},
		{"POST", "/v1/workflow/stream_resume", "GET"},
		{"POST", "/v1/workflows/chat", "GET"},
		{"GET", "/v1/workflows/" + emulator.SeedWorkflowID + "/run_histories/1", "POST"},
		{"GET", "/v1/datasets?space_id=" + emulator.SeedWorkspaceID, "PATCH"},
		{"PUT", "/v1/datasets/" + emulator.SeedDatasetID, "GET"},
		{"POST", "/v1/datasets/" + emulator.SeedDatasetID + "/process", "GET"},
		{"GET", "/v1/datasets/" + emulator.SeedDatasetID + "/images", "POST"},
		{"PUT", "/v1/datasets/" + emulator.SeedDatasetID + "/images/1", "GET"},
		{"POST", "/open_api/knowledge/document/list", "PUT"},
		{"POST", "/open_api/knowledge/document/create", "GET"},
		{"POST", "/open_api/knowledge/document/update", "GET"},
		{"POST", "/open_api/knowledge/document/delete", "GET"},
		{"GET", "/v1/audio/voices", "POST"},
	} {
		for _, auth := range []string{"", "Bearer nope", "Basic " + resPAT} {
			r := f.do(context.Background(), c.method, c.path, "application/json", auth, `{}`)
			if wantAPIError(t, r, http.StatusUnauthorized, 4100); t.Failed() {
				t.Fatalf("%s %s with %q", c.method, c.path, auth)
			}
		}
		r := f.do(context.Background(), c.wrong, c.path, "application/json", resAuth, `{}`)
		if wantAPIError(t, r, http.StatusMethodNotAllowed, 4000); r.header.Get("Allow") == "" || t.Failed() {
			t.Fatalf("%s %s: %d %s Allow=%q", c.wrong, c.path, r.status, r.raw, r.header.Get("Allow"))
		}
	}
}

// Paths near the resource endpoints that are not endpoints keep Coze's 404.
func TestResourcesUnknownPaths(t *testing.T) {
	f := newResFixture(t)
	for _, p := range []string{
		"/v1/bots/", "/v1/bots/1/2", "/v1/bot", "/v1/bot/delete", "/v1/workspace",
		"/v1/workflows/1/run_histories", "/v1/workflows/1/run_histories/", "/v1/workflows",
		"/v1/datasets/", "/v1/datasets/1/images/2/3", "/v1//workspaces", "/v1/workspaces/",
		"/v1/bots/../workspaces", "/open_api/knowledge/document", "/v1/audio/voices/clone",
		"/v2/workspaces",
	} {
		r := f.apiGet(p)
		if wantAPIError(t, r, http.StatusNotFound, 4000); t.Failed() {
			t.Fatalf("GET %s: %d %s", p, r.status, r.raw)
		}
	}
}

// Bodies that are not one JSON object of the right shape answer 4000,
// HTTP 200, with a msg naming the problem, and change nothing.
func TestResourcesBadBodies(t *testing.T) {
	f := newResFixture(t)
	before := emulator.ResourceCounts(f.srv)
	big := `{"name":"` + string(make([]byte, 3<<20)) + `"}`
	for _, c := range []struct{ path, body, want string }{
		{"/v1/bot/create", ``, "JSON object"},
		{"/v1/bot/create", `{`, "not valid JSON"},
		{"/v1/bot/create", `[]`, "an object"},
		{"/v1/bot/create", `{"space_id":1}`, "space_id must be a string"},
		{"/v1/bot/create", `{"space_id":"1"}{}`, "more than one JSON value"},
		{"/v1/bot/create", big, "larger than"},
		{"/v1/workflow/run", `{"workflow_id":"` + emulator.SeedWorkflowID + `","parameters":"x"}`, "parameters must be an object"},
		{"/v1/datasets", `{"format_type":"0"}`, "format_type must be a number"},
		{"/open_api/knowledge/document/delete", `{"document_ids":"1"}`, "document_ids must be an array"},
	} {
		r := f.send(http.MethodPost, c.path, c.body)
		msg := wantAPIError(t, r, http.StatusOK, 4000)
		if !strings.Contains(msg, c.want) {
			t.Errorf("POST %s %.40q: msg %q, want it to mention %q", c.path, c.body, msg, c.want)
		}
	}
	if after := emulator.ResourceCounts(f.srv); after != before {
		t.Errorf("bad bodies changed the state: %v -> %v", before, after)
	}
}

// Concurrent callers creating, changing, listing and running resources
// leave a consistent state (run with -race).
func TestResourcesConcurrent(t *testing.T) {
	f := newResFixture(t)
	ws := emulator.SeedWorkspaceID
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			for i := range 15 {
				switch (g + i) % 6 {
				case 0:
					id := f.send("POST", "/v1/bot/create", fmt.Sprintf(`{"space_id":%q,"name":"g%d-%d"}`, ws, g, i)).data()["bot_id"]
					f.send("POST", "/v1/bot/update", fmt.Sprintf(`{"bot_id":"%v","description":"x"}`, id))
					f.send("POST", "/v1/bot/publish", fmt.Sprintf(`{"bot_id":"%v","connector_ids":["1024"]}`, id))
				case 1:
					f.apiGet("/v1/bots?workspace_id=" + ws + "&publish_status=all")
					f.apiGet("/v1/space/published_bots_list?space_id=" + ws)
				case 2:
					id := f.send("POST", "/v1/datasets", fmt.Sprintf(`{"name":"d","space_id":%q,"format_type":0}`, ws)).data()["dataset_id"]
					f.send("POST", "/open_api/knowledge/document/create", fmt.Sprintf(`{"dataset_id":"%v","document_bases":[{"name":"a","source_info":{"web_url":"https://x"}}]}`, id))
					f.apiGet("/v1/datasets?space_id=" + ws)
					f.send("DELETE", fmt.Sprintf("/v1/datasets/%v", id), "")
				case 3:
					exec := f.send("POST", "/v1/workflow/run", `{"workflow_id":"`+emulator.SeedWorkflowID+`","is_async":true}`).str("execute_id")
					f.apiGet("/v1/workflows/" + emulator.SeedWorkflowID + "/run_histories/" + exec)
				case 4:
					body, ctype := multipartBody(t, formPart{"file", "x.txt", []byte("x")})
					id, _ := f.upload(resAuth, ctype, body).data()["id"].(string)
					f.apiGet("/v1/files/retrieve?file_id=" + id)
				case 5:
					f.streamWorkflow("/v1/workflow/stream_run", `{"workflow_id":"`+emulator.SeedWorkflowID+`"}`)
				}
			}
		})
	}
	wg.Wait()
	d := wantData(t, f.apiGet("/v1/bots?workspace_id="+ws+"&publish_status=all&page_size=100"))
	if n := num64(t, d["total"]); n != 2+15 {
		t.Errorf("%d bots in the personal workspace, want the 2 seeded and 15 created", n)
	}
	if c := emulator.ResourceCounts(f.srv); c[4] != 1 || c[5] != 1 {
		t.Errorf("datasets, documents = %d, %d; want only the seeded ones", c[4], c[5])
	}
}
