package emulator_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/emulator"
)

func history(t *testing.T, f *fixture, wf, exec string) map[string]any {
	t.Helper()
	r := f.apiGet("/v1/workflows/" + wf + "/run_histories/" + exec)
	wantSuccess(t, r)
	items, _ := r.body["data"].([]any)
	if len(items) != 1 {
		t.Fatalf("history: %s", r.raw)
	}
	h, _ := items[0].(map[string]any)
	return h
}

func TestWorkflowRun(t *testing.T) {
	f := newResFixture(t)
	r := f.send("POST", "/v1/workflow/run", `{"workflow_id":"`+emulator.SeedWorkflowID+`","parameters":{"input":"你好","n":2},"bot_id":"`+emulator.SeedBotID+`"}`)
	wantSuccess(t, r)
	// The answer's fields sit beside code; data is the output as a JSON string.
	var out map[string]any
	if err := json.Unmarshal([]byte(r.str("data")), &out); err != nil || out["input"] != "你好" || out["n"] != 2.0 {
		t.Errorf("data %q: %v", r.str("data"), err)
	}
	exec := r.str("execute_id")
	if !idRE.MatchString(exec) || !strings.Contains(r.str("debug_url"), exec) || r.str("cost") == "" {
		t.Errorf("run answer: %s", r.raw)
	}
	h := history(t, f, emulator.SeedWorkflowID, exec)
	if h["execute_status"] != "Success" || h["output"] != r.str("data") || h["bot_id"] != emulator.SeedBotID || num64(t, h["run_mode"]) != 0 || h["connector_uid"] != resUser || h["error_code"] != "0" {
		t.Errorf("history: %v", h)
	}
	if h["logid"] != r.header.Get("X-Tt-Logid") {
		t.Errorf("history logid %v, want the run's %q", h["logid"], r.header.Get("X-Tt-Logid"))
	}
	for _, k := range []string{"connector_id", "create_time", "update_time", "token", "cost", "error_message", "debug_url"} {
		if _, ok := h[k]; !ok {
			t.Errorf("history lacks %s", k)
		}
	}
	// Without parameters the echo is an empty object.
	if r := f.send("POST", "/v1/workflow/run", `{"workflow_id":"`+emulator.SeedWorkflowID+`"}`); r.str("data") != "{}" {
		t.Errorf("no parameters: %s", r.raw)
	}
}

func TestWorkflowRunAsync(t *testing.T) {
	f := newResFixture(t)
	for _, c := range []struct{ wf, final string }{{emulator.SeedWorkflowID, "Success"}, {emulator.SeedFailingWorkflowID, "Fail"}} {
		r := f.send("POST", "/v1/workflow/run", `{"workflow_id":"`+c.wf+`","parameters":{"input":"x"},"is_async":true}`)
		wantSuccess(t, r)
		exec := r.str("execute_id")
		if !idRE.MatchString(exec) || r.body["data"] != nil {
			t.Fatalf("async answer: %s", r.raw)
		}
		if h := history(t, f, c.wf, exec); h["execute_status"] != "Running" || h["output"] != "" || num64(t, h["run_mode"]) != 2 {
			t.Errorf("first read: %v", h)
		}
		h := history(t, f, c.wf, exec)
		if h["execute_status"] != c.final {
			t.Errorf("second read: %v", h)
		}
		if c.final == "Fail" && (h["error_code"] != "5000" || h["error_message"] == "") {
			t.Errorf("failed run: %v", h)
		}
		if c.final == "Success" && h["output"] != `{"input":"x"}` {
			t.Errorf("output: %v", h)
		}
	}
}

func TestWorkflowRunErrors(t *testing.T) {
	f := newResFixture(t)
	for _, c := range []struct {
		path, body string
		code       int64
		want       string
	}{
		{"/v1/workflow/run", `{}`, 4000, "workflow_id is required"},
		{"/v1/workflow/run", `{"workflow_id":"7999"}`, 4200, "workflow"},
		{"/v1/workflow/run", `{"workflow_id":"` + emulator.SeedWorkflowID + `","bot_id":"7999"}`, 4200, "bot"},
		{"/v1/workflow/run", `{"workflow_id":"` + emulator.SeedQuestionWorkflowID + `"}`, 4000, "stream_run"},
		{"/v1/workflow/run", `{"workflow_id":"` + emulator.SeedFailingWorkflowID + `"}`, 5000, "always fails"},
		{"/v1/workflow/stream_run", `{"workflow_id":"7999"}`, 4200, "workflow"},
		{"/v1/workflow/stream_resume", `{"workflow_id":"` + emulator.SeedQuestionWorkflowID + `","resume_data":"a","interrupt_type":2}`, 4000, "event_id"},
		{"/v1/workflow/stream_resume", `{"workflow_id":"` + emulator.SeedQuestionWorkflowID + `","event_id":"1/2","interrupt_type":2}`, 4000, "resume_data"},
		{"/v1/workflow/stream_resume", `{"workflow_id":"` + emulator.SeedQuestionWorkflowID + `","event_id":"1/2","resume_data":"a"}`, 4000, "interrupt_type"},
		{"/v1/workflow/stream_resume", `{"workflow_id":"` + emulator.SeedQuestionWorkflowID + `","event_id":"1/2","resume_data":"a","interrupt_type":2}`, 4200, "interrupt"},
		{"/v1/workflows/chat", `{"workflow_id":"` + emulator.SeedWorkflowID + `"}`, 4000, "additional_messages"},
		{"/v1/workflows/chat", `{"workflow_id":"7999","additional_messages":[{"role":"user","content":"x"}]}`, 4200, "workflow"},
	} {
		r := f.send("POST", c.path, c.body)
		if msg := wantAPIError(t, r, http.StatusOK, c.code); !strings.Contains(msg, c.want) {
			t.Errorf("%s %s: msg %q, want it to mention %q", c.path, c.body, msg, c.want)
		}
	}
	wantAPIError(t, f.apiGet("/v1/workflows/7999/run_histories/1"), http.StatusOK, 4200)
	wantAPIError(t, f.apiGet("/v1/workflows/"+emulator.SeedWorkflowID+"/run_histories/7999"), http.StatusOK, 4200)
	// A run is found under its own workflow only, and by its own user only.
	exec := f.send("POST", "/v1/workflow/run", `{"workflow_id":"`+emulator.SeedWorkflowID+`"}`).str("execute_id")
	wantAPIError(t, f.apiGet("/v1/workflows/"+emulator.SeedFailingWorkflowID+"/run_histories/"+exec), http.StatusOK, 4200)
	f.srv.AddPAT("pat_other", "7310000000000000099")
	r := f.do(t.Context(), "GET", "/v1/workflows/"+emulator.SeedWorkflowID+"/run_histories/"+exec, "", "Bearer pat_other", "")
	wantAPIError(t, r, http.StatusOK, 4200)
}

func TestWorkflowStreamRun(t *testing.T) {
	f := newResFixture(t)
	evs := f.streamWorkflow("/v1/workflow/stream_run", `{"workflow_id":"`+emulator.SeedWorkflowID+`","parameters":{"input":"hi"}}`)
	if eventNamesOf(evs) != "Message,Done" || evs[0].id != 0 || evs[1].id != 1 {
		t.Fatalf("events: %+v", evs)
	}
	m := evs[0].data
	if m["content"] != `{"input":"hi"}` || m["node_is_finish"] != true || m["node_title"] == "" || m["node_seq_id"] == nil {
		t.Errorf("message: %v", m)
	}
	exec, _, _ := strings.Cut(strings.SplitN(evs[1].data["debug_url"].(string), "execute_id=", 2)[1], "&")
	if h := history(t, f, emulator.SeedWorkflowID, exec); h["execute_status"] != "Success" || num64(t, h["run_mode"]) != 1 {
		t.Errorf("stream run history: %v", h)
	}

	evs = f.streamWorkflow("/v1/workflow/stream_run", `{"workflow_id":"`+emulator.SeedFailingWorkflowID+`"}`)
	if eventNamesOf(evs) != "Error" || num64f(evs[0].data["error_code"]) != 5000 || evs[0].data["error_message"] == "" {
		t.Errorf("failing: %+v", evs)
	}
}

func num64f(v any) float64 { n, _ := v.(float64); return n }

// The question workflow interrupts; stream_resume answers once, for the
// same user and workflow and interrupt type only.
func TestWorkflowInterruptResume(t *testing.T) {
	f := newResFixture(t)
	evs := f.streamWorkflow("/v1/workflow/stream_run", `{"workflow_id":"`+emulator.SeedQuestionWorkflowID+`"}`)
	if eventNamesOf(evs) != "Message,Interrupt" || evs[0].data["content"] != "What is your name?" {
		t.Fatalf("events: %+v", evs)
	}
	idata, _ := evs[1].data["interrupt_data"].(map[string]any)
	eventID, _ := idata["event_id"].(string)
	exec, _, ok := strings.Cut(eventID, "/")
	if !ok || num64f(idata["type"]) != 2 || evs[1].data["node_title"] == "" {
		t.Fatalf("interrupt: %v", evs[1].data)
	}
	if h := history(t, f, emulator.SeedQuestionWorkflowID, exec); h["execute_status"] != "Running" {
		t.Errorf("interrupted run: %v", h)
	}
	resume := func(wf string, typ int) string {
		return fmt.Sprintf(`{"workflow_id":%q,"event_id":%q,"resume_data":"Ada","interrupt_type":%d}`, wf, eventID, typ)
	}
	wantAPIError(t, f.send("POST", "/v1/workflow/stream_resume", resume(emulator.SeedWorkflowID, 2)), http.StatusOK, 4200)
	wantAPIError(t, f.send("POST", "/v1/workflow/stream_resume", resume(emulator.SeedQuestionWorkflowID, 3)), http.StatusOK, 4000)
	f.srv.AddPAT("pat_other", "7310000000000000099")
	r := f.do(t.Context(), "POST", "/v1/workflow/stream_resume", "application/json", "Bearer pat_other", resume(emulator.SeedQuestionWorkflowID, 2))
	wantAPIError(t, r, http.StatusOK, 4200)

	evs = f.streamWorkflow("/v1/workflow/stream_resume", resume(emulator.SeedQuestionWorkflowID, 2))
	if eventNamesOf(evs) != "Message,Done" || evs[0].data["content"] != `{"answer":"Ada"}` {
		t.Fatalf("resumed: %+v", evs)
	}
	if h := history(t, f, emulator.SeedQuestionWorkflowID, exec); h["execute_status"] != "Success" || h["output"] != `{"answer":"Ada"}` {
		t.Errorf("resumed run: %v", h)
	}
	// Spent.
	wantAPIError(t, f.send("POST", "/v1/workflow/stream_resume", resume(emulator.SeedQuestionWorkflowID, 2)), http.StatusOK, 4200)
}

func TestWorkflowChat(t *testing.T) {
	f := newResFixture(t)
	body := `{"workflow_id":"` + emulator.SeedWorkflowID + `","bot_id":"` + emulator.SeedBotID + `","additional_messages":[{"role":"user","content":"hello flow","content_type":"text"}],"parameters":{}}`
	_, evs := f.streamChatAt("/v1/workflows/chat", body)
	got := strings.Join(names(evs), ",")
	if !strings.HasPrefix(got, "conversation.chat.created,conversation.chat.in_progress,conversation.message.delta") || !strings.HasSuffix(got, "conversation.message.completed,conversation.chat.completed,done") {
		t.Fatalf("events: %s", got)
	}
	done := evs[len(evs)-3].decode(t)
	if done["content"] != "You said: hello flow" || done["bot_id"] != emulator.SeedBotID {
		t.Errorf("answer: %v", done)
	}
	_, evs = f.streamChatAt("/v1/workflows/chat", `{"workflow_id":"`+emulator.SeedFailingWorkflowID+`","additional_messages":[{"role":"user","content":"x"}]}`)
	if strings.Join(names(evs), ",") != "conversation.chat.created,conversation.chat.failed,done" {
		t.Fatalf("failing: %s", strings.Join(names(evs), ","))
	}
	if le, _ := evs[1].decode(t)["last_error"].(map[string]any); le["code"] != 5000.0 || le["msg"] == "" {
		t.Errorf("last_error: %v", evs[1].decode(t))
	}
}

// Runs and pending interrupts are bounded: the oldest are forgotten.
func TestWorkflowRunsBounded(t *testing.T) {
	f := newResFixture(t)
	emulator.SetResourceLimit(f.srv, 3)
	var execs []string
	for range 5 {
		execs = append(execs, f.send("POST", "/v1/workflow/run", `{"workflow_id":"`+emulator.SeedWorkflowID+`"}`).str("execute_id"))
	}
	wantAPIError(t, f.apiGet("/v1/workflows/"+emulator.SeedWorkflowID+"/run_histories/"+execs[0]), http.StatusOK, 4200)
	history(t, f, emulator.SeedWorkflowID, execs[4])
	var events []string
	for range 5 {
		evs := f.streamWorkflow("/v1/workflow/stream_run", `{"workflow_id":"`+emulator.SeedQuestionWorkflowID+`"}`)
		idata, _ := evs[1].data["interrupt_data"].(map[string]any)
		events = append(events, idata["event_id"].(string))
	}
	if c := emulator.ResourceCounts(f.srv); c[2] != 3 || c[3] != 3 {
		t.Errorf("runs, interrupts = %d, %d; want 3, 3", c[2], c[3])
	}
	resume := `{"workflow_id":"` + emulator.SeedQuestionWorkflowID + `","event_id":%q,"resume_data":"a","interrupt_type":2}`
	wantAPIError(t, f.send("POST", "/v1/workflow/stream_resume", fmt.Sprintf(resume, events[0])), http.StatusOK, 4200)
	if evs := f.streamWorkflow("/v1/workflow/stream_resume", fmt.Sprintf(resume, events[4])); eventNamesOf(evs) != "Message,Done" {
		t.Errorf("newest interrupt: %+v", evs)
	}
}
