package emulator_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/emulator"
)

func TestWorkspacesList(t *testing.T) {
	f := newResFixture(t)
	d := wantData(t, f.apiGet("/v1/workspaces"))
	ws := list(t, d, "workspaces")
	if len(ws) != 2 || num64(t, d["total_count"]) != 2 {
		t.Fatalf("workspaces: %v", d)
	}
	if ws[0]["id"] != emulator.SeedWorkspaceID || ws[0]["workspace_type"] != "personal" || ws[1]["id"] != emulator.SeedTeamWorkspaceID || ws[1]["workspace_type"] != "team" {
		t.Errorf("seeded workspaces: %v", ws)
	}
	for _, k := range []string{"id", "name", "icon_url", "role_type", "workspace_type"} {
		if _, ok := ws[0][k]; !ok {
			t.Errorf("workspace lacks %s", k)
		}
	}
	// Pagination: page 2 of size 1 is the team workspace; past the end is empty.
	d = wantData(t, f.apiGet("/v1/workspaces?page_num=2&page_size=1"))
	if ws := list(t, d, "workspaces"); len(ws) != 1 || ws[0]["id"] != emulator.SeedTeamWorkspaceID || num64(t, d["total_count"]) != 2 {
		t.Errorf("page 2: %v", d)
	}
	d = wantData(t, f.apiGet("/v1/workspaces?page_num=3&page_size=1"))
	if ws := list(t, d, "workspaces"); len(ws) != 0 {
		t.Errorf("page 3: %v", d)
	}
	d = wantData(t, f.apiGet("/v1/workspaces?page_num=9223372036854775807&page_size=50"))
	if ws := list(t, d, "workspaces"); len(ws) != 0 {
		t.Errorf("huge page: %v", d)
	}
	for _, q := range []string{"page_num=0", "page_num=-1", "page_num=x", "page_size=0", "page_size=51", "page_size=1.5"} {
		msg := wantAPIError(t, f.apiGet("/v1/workspaces?"+q), http.StatusOK, 4000)
		if !strings.Contains(msg, strings.Split(q, "=")[0]) {
			t.Errorf("%s: msg %q does not name the parameter", q, msg)
		}
	}
}

func TestBotsSeeded(t *testing.T) {
	f := newResFixture(t)
	d := wantData(t, f.apiGet("/v1/space/published_bots_list?space_id="+emulator.SeedWorkspaceID))
	bots := list(t, d, "space_bots")
	if len(bots) != 2 || num64(t, d["total"]) != 2 {
		t.Fatalf("published bots: %v", d)
	}
	// Latest publication first.
	if bots[0]["bot_id"] != emulator.SeedBot2ID || bots[1]["bot_id"] != emulator.SeedBotID || bots[1]["bot_name"] != "Echo Bot" {
		t.Errorf("order or names: %v", bots)
	}
	if pt, _ := bots[0]["publish_time"].(string); pt == "" {
		t.Errorf("publish_time must be a string of digits: %v", bots[0]["publish_time"])
	}
	d = wantData(t, f.apiGet("/v1/space/published_bots_list?space_id="+emulator.SeedTeamWorkspaceID+"&page_index=1&page_size=5"))
	if bots := list(t, d, "space_bots"); len(bots) != 1 || bots[0]["bot_id"] != emulator.SeedBot3ID {
		t.Errorf("team bots: %v", d)
	}

	d = wantData(t, f.apiGet("/v1/bots?workspace_id="+emulator.SeedWorkspaceID))
	items := list(t, d, "items")
	if len(items) != 2 || items[0]["id"] != emulator.SeedBotID || items[0]["is_published"] != true || items[0]["owner_user_id"] != emulator.DefaultUser {
		t.Errorf("bots: %v", d)
	}
	if _, ok := items[0]["published_at"]; !ok {
		t.Error("a published bot lists published_at")
	}

	info := wantData(t, f.apiGet("/v1/bot/get_online_info?bot_id="+emulator.SeedBotID))
	if info["bot_id"] != emulator.SeedBotID || info["name"] != "Echo Bot" || info["version"] != "1" {
		t.Errorf("online info: %v", info)
	}
	wfs := list(t, info, "workflow_info_list")
	if len(wfs) != 3 || wfs[0]["id"] != emulator.SeedWorkflowID || wfs[0]["name"] != "echo" || wfs[1]["name"] != "question" || wfs[2]["name"] != "failing" {
		t.Errorf("the first seeded bot names the seeded workflows: %v", wfs)
	}
	kn, _ := info["knowledge"].(map[string]any)
	if ki := list(t, kn, "knowledge_infos"); len(ki) != 1 || ki[0]["id"] != emulator.SeedDatasetID {
		t.Errorf("knowledge: %v", kn)
	}
	for _, k := range []string{"description", "icon_url", "create_time", "update_time", "prompt_info", "onboarding_info", "bot_mode", "plugin_info_list", "model_info", "shortcut_commands", "suggest_reply_info", "background_image_info", "variables"} {
		if _, ok := info[k]; !ok {
			t.Errorf("BotInfo lacks %s", k)
		}
	}
	same := wantData(t, f.apiGet("/v1/bots/"+emulator.SeedBotID+"?is_published=true"))
	if fmt.Sprint(same) != fmt.Sprint(info) {
		t.Errorf("retrieveNew(is_published) differs from get_online_info:\n%v\n%v", same, info)
	}
}

func TestBotLifecycle(t *testing.T) {
	f := newResFixture(t)
	d := wantData(t, f.send("POST", "/v1/bot/create", `{"space_id":"`+emulator.SeedWorkspaceID+`","name":"新的机器人","description":"d","prompt_info":{"prompt":"p"},"onboarding_info":{"prologue":"hi","suggested_questions":["q1"]},"model_info_config":{"model_id":"m1"},"suggest_reply_info":{"reply_mode":"enable"}}`))
	id, _ := d["bot_id"].(string)
	if !idRE.MatchString(id) {
		t.Fatalf("bot_id %q", id)
	}
	// A new bot is an unpublished draft: readable, not online, not listed as published.
	draft := wantData(t, f.apiGet("/v1/bots/"+id))
	if draft["name"] != "新的机器人" || draft["version"] != "0" {
		t.Errorf("draft: %v", draft)
	}
	if mi, _ := draft["model_info"].(map[string]any); mi["model_id"] != "m1" {
		t.Errorf("model_info: %v", draft["model_info"])
	}
	wantAPIError(t, f.apiGet("/v1/bot/get_online_info?bot_id="+id), http.StatusOK, 4200)
	wantAPIError(t, f.apiGet("/v1/bots/"+id+"?is_published=true"), http.StatusOK, 4200)
	ids := func(status string) string {
		d := wantData(t, f.apiGet("/v1/bots?workspace_id="+emulator.SeedWorkspaceID+"&publish_status="+status))
		var out []string
		for _, it := range list(t, d, "items") {
			out = append(out, it["id"].(string))
		}
		if int(num64(t, d["total"])) != len(out) {
			t.Errorf("%s: total %v for %d items", status, d["total"], len(out))
		}
		return strings.Join(out, ",")
	}
	seeded := emulator.SeedBotID + "," + emulator.SeedBot2ID
	if got := ids("unpublished_draft"); got != id {
		t.Errorf("unpublished_draft: %s", got)
	}
	if got := ids("all"); got != seeded+","+id {
		t.Errorf("all: %s", got)
	}
	if got := ids("published_online"); got != seeded {
		t.Errorf("published_online: %s", got)
	}

	// Publish: online now, version 1.
	wantSuccess(t, f.send("POST", "/v1/bot/publish", `{"bot_id":"`+id+`","connector_ids":["1024"]}`))
	online := wantData(t, f.apiGet("/v1/bot/get_online_info?bot_id="+id))
	if online["version"] != "1" || online["name"] != "新的机器人" {
		t.Errorf("online: %v", online)
	}
	f.clk.Add(1e9) // published later than the seeds
	// Update changes the draft only; published_draft lists it.
	wantSuccess(t, f.send("POST", "/v1/bot/update", `{"bot_id":"`+id+`","name":"renamed","knowledge":{"dataset_ids":["`+emulator.SeedDatasetID+`"]},"workflow_id_list":{"ids":[{"id":"`+emulator.SeedWorkflowID+`"}]}}`))
	if d := wantData(t, f.apiGet("/v1/bots/"+id)); d["name"] != "renamed" || d["description"] != "d" {
		t.Errorf("draft after update: %v", d)
	}
	if d := wantData(t, f.apiGet("/v1/bot/get_online_info?bot_id="+id)); d["name"] != "新的机器人" {
		t.Errorf("online after update: %v", d)
	}
	if got := ids("published_draft"); got != id {
		t.Errorf("published_draft: %s", got)
	}
	f.clk.Add(1e9)
	wantSuccess(t, f.send("POST", "/v1/bot/publish", `{"bot_id":"`+id+`","connector_ids":["1024","999"]}`))
	if d := wantData(t, f.apiGet("/v1/bot/get_online_info?bot_id="+id)); d["name"] != "renamed" || d["version"] != "2" {
		t.Errorf("online after second publish: %v", d)
	}
	if got := ids("published_draft"); got != "" {
		t.Errorf("published_draft after publish: %s", got)
	}
	d = wantData(t, f.apiGet("/v1/space/published_bots_list?space_id="+emulator.SeedWorkspaceID+"&page_size=1"))
	if bots := list(t, d, "space_bots"); len(bots) != 1 || bots[0]["bot_id"] != id || num64(t, d["total"]) != 3 {
		t.Errorf("latest published first, total 3: %v", d)
	}
	d = wantData(t, f.apiGet("/v1/bots?workspace_id="+emulator.SeedWorkspaceID+"&connector_id=999"))
	if items := list(t, d, "items"); len(items) != 1 || items[0]["id"] != id {
		t.Errorf("connector filter: %v", d)
	}
}

func TestBotErrors(t *testing.T) {
	f := newResFixture(t)
	ws := emulator.SeedWorkspaceID
	for _, c := range []struct {
		method, path, body string
		code               int64
		want               string
	}{
		{"POST", "/v1/bot/create", `{"name":"x"}`, 4000, "space_id is required"},
		{"POST", "/v1/bot/create", `{"space_id":"` + ws + `"}`, 4000, "name is required"},
		{"POST", "/v1/bot/create", `{"space_id":"` + ws + `","name":""}`, 4000, "1 to 20"},
		{"POST", "/v1/bot/create", `{"space_id":"` + ws + `","name":"123456789012345678901"}`, 4000, "1 to 20"},
		{"POST", "/v1/bot/create", `{"space_id":"` + ws + `","name":"a","description":"` + strings.Repeat("d", 501) + `"}`, 4000, "500"},
		{"POST", "/v1/bot/create", `{"space_id":"` + ws + `","name":"a","icon_file_id":"7999"}`, 4000, "upload the icon"},
		{"POST", "/v1/bot/create", `{"space_id":"` + ws + `","name":"a","model_info_config":{}}`, 4000, "model_id"},
		{"POST", "/v1/bot/create", `{"space_id":"` + ws + `","name":"a","suggest_reply_info":{"reply_mode":"x"}}`, 4000, "reply_mode"},
		{"POST", "/v1/bot/create", `{"space_id":"` + ws + `","name":"a","workflow_id_list":{"ids":[{"id":"1"}]}}`, 4000, "workflow"},
		{"POST", "/v1/bot/create", `{"space_id":"7999","name":"a"}`, 4200, "workspace"},
		{"POST", "/v1/bot/update", `{"name":"a"}`, 4000, "bot_id is required"},
		{"POST", "/v1/bot/update", `{"bot_id":"7999","name":"a"}`, 4200, "bot"},
		{"POST", "/v1/bot/update", `{"bot_id":"` + emulator.SeedBotID + `","knowledge":{"dataset_ids":["1"]}}`, 4000, "knowledge"},
		{"POST", "/v1/bot/publish", `{"bot_id":"` + emulator.SeedBotID + `"}`, 4000, "connector_ids"},
		{"POST", "/v1/bot/publish", `{"bot_id":"` + emulator.SeedBotID + `","connector_ids":[""]}`, 4000, "connector_ids"},
		{"POST", "/v1/bot/publish", `{"connector_ids":["1024"]}`, 4000, "bot_id"},
		{"POST", "/v1/bot/publish", `{"bot_id":"7999","connector_ids":["1024"]}`, 4200, "bot"},
		{"GET", "/v1/bot/get_online_info", ``, 4000, "bot_id"},
		{"GET", "/v1/bot/get_online_info?bot_id=7999", ``, 4200, "7999"},
		{"GET", "/v1/bots/7999", ``, 4200, "7999"},
		{"GET", "/v1/bots/" + emulator.SeedBotID + "?is_published=yes", ``, 4000, "is_published"},
		{"GET", "/v1/bots", ``, 4000, "workspace_id"},
		{"GET", "/v1/bots?workspace_id=7999", ``, 4200, "workspace"},
		{"GET", "/v1/bots?workspace_id=" + ws + "&publish_status=x", ``, 4000, "publish_status"},
		{"GET", "/v1/bots?workspace_id=" + ws + "&page_size=101", ``, 4000, "page_size"},
		{"GET", "/v1/space/published_bots_list", ``, 4000, "space_id"},
		{"GET", "/v1/space/published_bots_list?space_id=7999", ``, 4200, "workspace"},
		{"GET", "/v1/space/published_bots_list?space_id=" + ws + "&page_index=0", ``, 4000, "page_index"},
	} {
		r := f.send(c.method, c.path, c.body)
		if msg := wantAPIError(t, r, http.StatusOK, c.code); !strings.Contains(msg, c.want) {
			t.Errorf("%s %s %s: msg %q, want it to mention %q", c.method, c.path, c.body, msg, c.want)
		}
	}
	// Nothing changed: the seeded bot is as seeded, no bot was created.
	if d := wantData(t, f.apiGet("/v1/bots/"+emulator.SeedBotID)); d["name"] != "Echo Bot" || d["version"] != "1" {
		t.Errorf("seeded bot changed: %v", d)
	}
	if n := emulator.ResourceCounts(f.srv)[0]; n != 3 {
		t.Errorf("%d bots, want the 3 seeded", n)
	}
}

// Creating bots past the bound answers Coze's error and creates nothing.
func TestBotsBounded(t *testing.T) {
	f := newResFixture(t)
	emulator.SetResourceLimit(f.srv, 5)
	for i := range 2 {
		wantData(t, f.send("POST", "/v1/bot/create", fmt.Sprintf(`{"space_id":%q,"name":"b%d"}`, emulator.SeedWorkspaceID, i)))
	}
	msg := wantAPIError(t, f.send("POST", "/v1/bot/create", `{"space_id":"`+emulator.SeedWorkspaceID+`","name":"one too many"}`), http.StatusOK, 4000)
	if !strings.Contains(msg, "too many bots") {
		t.Errorf("msg %q", msg)
	}
	if n := emulator.ResourceCounts(f.srv)[0]; n != 5 {
		t.Errorf("%d bots, want 5", n)
	}
}
