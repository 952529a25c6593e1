package emulator

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// Kinds of seeded workflow.
const (
	wfEcho     = iota // outputs its parameters
	wfQuestion        // asks a question, then outputs the answer
	wfFail            // always fails
)

// workflow is a seeded workflow.
type workflow struct {
	ID   string
	Name string
	Kind int
}

func (wf workflow) description() string {
	switch wf.Kind {
	case wfEcho:
		return "Outputs its parameters as a JSON object."
	case wfQuestion:
		return "Asks a question and outputs the answer."
	case wfFail:
		return "Always fails."
	}
	return ""
}

// Workflow run modes and the error a failing run reports.
const (
	runSync   = 0
	runStream = 1
	runAsync  = 2

	codeWorkflowFailed = 5000
	msgWorkflowFailed  = "node End: the emulator's failing workflow always fails"
	questionText       = "What is your name?"
	interruptQuestion  = 2 // interrupt_type of a question node
)

// workflowRun is one execution, as its run history shows it.
type workflowRun struct {
	ID         string
	WorkflowID string
	BotID      string
	UserID     string
	Mode       int
	Status     string // Running, Success, Fail
	Output     string
	ErrCode    int
	ErrMsg     string
	Created    int64
	Updated    int64
	LogID      string
	Tokens     int
	reads      int // history reads; an async run shows Running on the first
}

// interrupt is a question waiting for /v1/workflow/stream_resume.
type interrupt struct {
	EventID    string
	WorkflowID string
	RunID      string
	UserID     string
	Type       int
}

// runBody is the body of /v1/workflow/run and /v1/workflow/stream_run.
type runBody struct {
	WorkflowID  string            `json:"workflow_id"`
	BotID       string            `json:"bot_id"`
	AppID       string            `json:"app_id"`
	Parameters  map[string]any    `json:"parameters"`
	Ext         map[string]string `json:"ext"`
	IsAsync     bool              `json:"is_async"`
	ConnectorID string            `json:"connector_id"`
}

// startRun authenticates, validates and registers a run, answering Coze's
// error and reporting false when it cannot.
func (s *Server) startRun(w http.ResponseWriter, r *http.Request, mode int) (*workflowRun, workflow, runBody, bool) {
	var b runBody
	if !allowMethod(w, r, http.MethodPost) {
		return nil, workflow{}, b, false
	}
	userID, ok := s.authAPI(w, r, false)
	if !ok || !readJSON(w, r, &b) {
		return nil, workflow{}, b, false
	}
	if mode == runSync && b.IsAsync {
		mode = runAsync
	}
	wf, ok := s.checkWorkflow(w, r, b.WorkflowID, b.BotID)
	if !ok {
		return nil, wf, b, false
	}
	if wf.Kind == wfQuestion && mode != runStream {
		invalid(w, "workflow "+wf.ID+" asks a question (it interrupts): run it with /v1/workflow/stream_run and answer with /v1/workflow/stream_resume")
		return nil, wf, b, false
	}
	now := s.unix()
	run := &workflowRun{
		ID: newID(), WorkflowID: wf.ID, BotID: b.BotID, UserID: userID, Mode: mode,
		Status: "Running", Created: now, Updated: now, LogID: w.Header().Get("X-Tt-Logid"),
	}
	rs := s.res()
	rs.mu.Lock()
	rs.runs.add(run.ID, run, true)
	rs.mu.Unlock()
	return run, wf, b, true
}

// checkWorkflow validates a workflow id (and an optional bot id) and checks
// the token may use them.
func (s *Server) checkWorkflow(w http.ResponseWriter, r *http.Request, workflowID, botID string) (workflow, bool) {
	if workflowID == "" {
		invalid(w, "invalid parameter: workflow_id is required")
		return workflow{}, false
	}
	if !s.allowWorkflow(w, r, workflowID) {
		return workflow{}, false
	}
	if botID != "" && !s.allowBot(w, r, botID) {
		return workflow{}, false
	}
	rs := s.res()
	rs.mu.Lock()
	wf, ok := rs.workflows[workflowID]
	_, botOK := rs.bots.get(botID)
	rs.mu.Unlock()
	switch {
	case !ok:
		resNotFound(w, "workflow", workflowID)
		return wf, false
	case botID != "" && !botOK:
		resNotFound(w, "bot", botID)
		return wf, false
	}
	return wf, true
}

// finish records the outcome of run.
func (s *Server) finish(run *workflowRun, output string, errCode int, errMsg string) {
	rs := s.res()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	run.Updated = s.unix()
	if errCode != 0 {
		run.Status, run.ErrCode, run.ErrMsg = "Fail", errCode, errMsg
		return
	}
	run.Status, run.Output, run.Tokens = "Success", output, len(strings.Fields(output))
}

// echoOutput is the echo workflow's output: its parameters as JSON.
func echoOutput(params map[string]any) string {
	if params == nil {
		params = map[string]any{}
	}
	b, err := json.Marshal(params)
	if err != nil { // cannot happen for decoded JSON
		return "{}"
	}
	return string(b)
}

// debugURL is where Coze's console would show the run.
func (s *Server) debugURL(run *workflowRun) string {
	host := "www.coze.cn"
	if s.region == "com" {
		host = "www.coze.com"
	}
	return "https://" + host + "/work_flow?execute_id=" + run.ID + "&workflow_id=" + run.WorkflowID
}

// serveWorkflowRun answers POST /v1/workflow/run. A synchronous run answers
// {"code":0,"msg":"","data":"<output JSON>","execute_id",...} at the top
// level; with "is_async":true it answers the execute_id at once and the run
// history shows Running, then the outcome.
func (s *Server) serveWorkflowRun(w http.ResponseWriter, r *http.Request) {
	run, wf, b, ok := s.startRun(w, r, runSync)
	if !ok {
		return
	}
	output, errCode, errMsg := echoOutput(b.Parameters), 0, ""
	if wf.Kind == wfFail {
		output, errCode, errMsg = "", codeWorkflowFailed, msgWorkflowFailed
	}
	s.finish(run, output, errCode, errMsg)
	if run.Mode == runAsync {
		writeFields(w, map[string]any{"execute_id": run.ID, "debug_url": s.debugURL(run)})
		return
	}
	if errCode != 0 {
		writeAPIFailure(w, errCode, errMsg+" (execute_id "+run.ID+")")
		return
	}
	tokens := len(strings.Fields(output))
	writeFields(w, map[string]any{
		"data":       output,
		"execute_id": run.ID,
		"debug_url":  s.debugURL(run),
		"cost":       "0",
		"token":      tokens,
		"usage":      map[string]int{"input_count": tokens, "output_count": tokens, "token_count": 2 * tokens},
	})
}

// serveWorkflowStreamRun answers POST /v1/workflow/stream_run with Coze's
// workflow events, each with an "id:" line: Message then Done for the echo
// workflow, Message (the question) then Interrupt for the question workflow,
// Error for the failing one.
func (s *Server) serveWorkflowStreamRun(w http.ResponseWriter, r *http.Request) {
	run, wf, b, ok := s.startRun(w, r, runStream)
	if !ok {
		return
	}
	switch wf.Kind {
	case wfEcho:
		out := echoOutput(b.Parameters)
		s.finish(run, out, 0, "")
		e := s.startSSE(&idWriter{ResponseWriter: w}, r)
		if e.send("Message", workflowMessage(out, "End")) == nil {
			_ = e.send("Done", map[string]string{"debug_url": s.debugURL(run)})
		}
	case wfFail:
		s.finish(run, "", codeWorkflowFailed, msgWorkflowFailed)
		e := s.startSSE(&idWriter{ResponseWriter: w}, r)
		_ = e.send("Error", map[string]any{"error_code": codeWorkflowFailed, "error_message": msgWorkflowFailed})
	case wfQuestion:
		in := &interrupt{EventID: run.ID + "/" + newID(), WorkflowID: wf.ID, RunID: run.ID, UserID: run.UserID, Type: interruptQuestion}
		rs := s.res()
		rs.mu.Lock()
		rs.interrupts.add(in.EventID, in, true)
		rs.mu.Unlock()
		e := s.startSSE(&idWriter{ResponseWriter: w}, r)
		if e.send("Message", workflowMessage(questionText, "Question")) == nil {
			_ = e.send("Interrupt", map[string]any{
				"interrupt_data": map[string]any{"event_id": in.EventID, "type": in.Type},
				"node_title":     "Question",
			})
		}
	}
}

// serveWorkflowResume answers POST /v1/workflow/stream_resume
// {"workflow_id","event_id","resume_data","interrupt_type"}: the answer to
// an Interrupt, streamed as Message ({"answer":<resume_data>}) then Done.
// Each interrupt can be resumed once, by the token's user only.
func (s *Server) serveWorkflowResume(w http.ResponseWriter, r *http.Request) {
	userID, ok := s.enter(w, r, http.MethodPost)
	if !ok {
		return
	}
	var b struct {
		WorkflowID    string `json:"workflow_id"`
		EventID       string `json:"event_id"`
		ResumeData    string `json:"resume_data"`
		InterruptType int    `json:"interrupt_type"`
	}
	if !readJSON(w, r, &b) {
		return
	}
	switch {
	case b.EventID == "":
		invalid(w, "invalid parameter: event_id is required (the interrupt_data.event_id of the Interrupt event)")
		return
	case b.ResumeData == "":
		invalid(w, "invalid parameter: resume_data is required (the answer to the question)")
		return
	case b.InterruptType == 0:
		invalid(w, "invalid parameter: interrupt_type is required (the interrupt_data.type of the Interrupt event)")
		return
	}
	if _, ok := s.checkWorkflow(w, r, b.WorkflowID, ""); !ok {
		return
	}
	rs := s.res()
	rs.mu.Lock()
	in, ok := rs.interrupts.get(b.EventID)
	if ok && (in.WorkflowID != b.WorkflowID || in.UserID != userID) {
		ok = false
	}
	typeOK := ok && in.Type == b.InterruptType
	if typeOK {
		rs.interrupts.del(b.EventID)
	}
	var run *workflowRun
	if ok {
		run, _ = rs.runs.get(in.RunID)
	}
	rs.mu.Unlock()
	switch {
	case !ok:
		resNotFound(w, "interrupt event", b.EventID)
		return
	case !typeOK:
		invalid(w, "invalid parameter interrupt_type: this interrupt has type "+strconv.Itoa(in.Type))
		return
	}
	answer, _ := json.Marshal(map[string]string{"answer": b.ResumeData})
	if run != nil {
		s.finish(run, string(answer), 0, "")
	} else {
		run = &workflowRun{ID: in.RunID, WorkflowID: in.WorkflowID}
	}
	e := s.startSSE(&idWriter{ResponseWriter: w}, r)
	if e.send("Message", workflowMessage(string(answer), "End")) == nil {
		_ = e.send("Done", map[string]string{"debug_url": s.debugURL(run)})
	}
}

// workflowMessage is the data of a Message event.
func workflowMessage(content, node string) map[string]any {
	return map[string]any{
		"content":        content,
		"content_type":   "text",
		"node_title":     node,
		"node_seq_id":    "0",
		"node_is_finish": true,
	}
}

// serveRunHistory answers GET /v1/workflows/{workflow_id}/run_histories/
// {execute_id} with a one-element list: the run's status (Running, Success
// or Fail), output and error.
func (s *Server) serveRunHistory(w http.ResponseWriter, r *http.Request) {
	userID, ok := s.enter(w, r, http.MethodGet)
	if !ok {
		return
	}
	wfID, execID := r.PathValue("workflow_id"), r.PathValue("execute_id")
	if !s.allowWorkflow(w, r, wfID) {
		return
	}
	rs := s.res()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if _, ok := rs.workflows[wfID]; !ok {
		resNotFound(w, "workflow", wfID)
		return
	}
	run, ok := rs.runs.get(execID)
	if !ok || run.WorkflowID != wfID || run.UserID != userID {
		resNotFound(w, "workflow run", execID)
		return
	}
	run.reads++
	status, output, code, msg := run.Status, run.Output, run.ErrCode, run.ErrMsg
	if run.Mode == runAsync && run.reads == 1 {
		status, output, code, msg = "Running", "", 0, ""
	}
	writeData(w, []map[string]any{{
		"execute_id":     run.ID,
		"execute_status": status,
		"bot_id":         run.BotID,
		"connector_id":   APIConnectorID,
		"connector_uid":  run.UserID,
		"run_mode":       run.Mode,
		"logid":          run.LogID,
		"create_time":    run.Created,
		"update_time":    run.Updated,
		"output":         output,
		"token":          strconv.Itoa(run.Tokens),
		"cost":           "0",
		"error_code":     strconv.Itoa(code),
		"error_message":  msg,
		"debug_url":      s.debugURL(run),
	}})
}

// idWriter numbers the events a sseStream writes with "id:<n>" lines, as
// Coze's workflow streams do; sseStream writes each event in one Write.
type idWriter struct {
	http.ResponseWriter
	n int
}

func (w *idWriter) Write(p []byte) (int, error) {
	if _, err := w.ResponseWriter.Write([]byte("id:" + strconv.Itoa(w.n) + "\n")); err != nil {
		return 0, err
	}
	w.n++
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController flush the underlying writer.
func (w *idWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
