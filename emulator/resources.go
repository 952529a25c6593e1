package emulator

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
)

// Seeded resources: every Server starts with these, so tests, demos and
// documentation can name them. Ids are 19 digits like Coze's.
const (
	// SeedWorkspaceID is the personal workspace of the emulated user.
	SeedWorkspaceID = "7480000000000000001"
	// SeedTeamWorkspaceID is a team workspace the emulated user belongs to.
	SeedTeamWorkspaceID = "7480000000000000002"

	// SeedBotID, SeedBot2ID and SeedBot3ID are bots published to the API
	// channel (connector 1024): the first two in SeedWorkspaceID, the third
	// in SeedTeamWorkspaceID. SeedBotID uses the three seeded workflows and
	// the seeded knowledge base, so SDK users can find their ids.
	SeedBotID  = "7481000000000000001"
	SeedBot2ID = "7481000000000000002"
	SeedBot3ID = "7481000000000000003"

	// SeedWorkflowID echoes its input: its output is the run's parameters
	// as a JSON object.
	SeedWorkflowID = "7482000000000000001"
	// SeedQuestionWorkflowID asks a question: stream_run answers an
	// Interrupt event (type 2) that stream_resume answers with the reply.
	SeedQuestionWorkflowID = "7482000000000000002"
	// SeedFailingWorkflowID always fails: run answers an error, stream_run
	// an Error event, and its run history says Fail.
	SeedFailingWorkflowID = "7482000000000000003"

	// SeedDatasetID is a text knowledge base in SeedWorkspaceID holding one
	// document, SeedDocumentID.
	SeedDatasetID  = "7483000000000000001"
	SeedDocumentID = "7483000000000000101"

	// SeedVoiceID is the first of the system voices /v1/audio/voices lists.
	SeedVoiceID = "7484000000000000001"

	// APIConnectorID is Coze's "Agent as API" publishing channel, the
	// connector /v1/bot/publish and /v1/bots expect.
	APIConnectorID = "1024"
)

// Bounds of the emulator's resource state: past them the oldest files,
// workflow runs and pending interrupts are forgotten, and creating a bot,
// dataset or document answers Coze's error.
const (
	maxBots         = 1024
	maxFiles        = 4096
	maxRuns         = 4096
	maxInterrupts   = 1024
	maxDatasets     = 256
	maxDocuments    = 4096
	maxResourceBody = 2 << 20 // request body of a resource endpoint
)

// Coze's error codes for resource endpoints: 4000 invalid parameter (HTTP
// 200, as Coze answers business errors), 4200 resource not found.
const codeInvalid = codeBadRequest // and codeNotFound (apienv.go)

// resources is the in-memory state of the emulated Coze resources. It has
// its own lock, never held while calling back into Server.
type resources struct {
	once sync.Once
	mux  *http.ServeMux

	mu         sync.Mutex
	workspaces []workspace
	bots       ordered[*bot]
	files      ordered[fileInfo]
	workflows  map[string]workflow
	runs       ordered[*workflowRun]
	interrupts ordered[*interrupt]
	datasets   ordered[*dataset]
	documents  ordered[*document]
	voices     []voice
}

// res returns the resource state, seeding it on first use.
func (s *Server) res() *resources {
	s.resState.once.Do(func() { s.seedResources(&s.resState) })
	return &s.resState
}

// serveResource answers the bot, workspace, file, workflow, dataset and
// voice endpoints, reporting false (having written nothing) when the path is
// none of them.
func (s *Server) serveResource(w http.ResponseWriter, r *http.Request) bool {
	p := r.URL.Path
	if !strings.HasPrefix(p, "/v1/") && !strings.HasPrefix(p, "/open_api/") || path.Clean(p) != p {
		return false
	}
	mux := s.res().mux
	if _, pattern := mux.Handler(r); pattern == "" {
		return false
	}
	mux.ServeHTTP(w, r)
	return true
}

// routes registers every resource endpoint; handlers check the method
// themselves so a wrong one gets Coze's error shape.
func (s *Server) routes(mux *http.ServeMux) {
	mux.HandleFunc("/v1/workspaces", s.serveWorkspaces)
	mux.HandleFunc("/v1/space/published_bots_list", s.servePublishedBots)
	mux.HandleFunc("/v1/bots", s.serveBotsList)
	mux.HandleFunc("/v1/bots/{bot_id}", s.serveBotRetrieve)
	mux.HandleFunc("/v1/bot/get_online_info", s.serveBotOnlineInfo)
	mux.HandleFunc("/v1/bot/create", s.serveBotCreate)
	mux.HandleFunc("/v1/bot/update", s.serveBotUpdate)
	mux.HandleFunc("/v1/bot/publish", s.serveBotPublish)
	mux.HandleFunc("/v1/files/retrieve", s.serveFileRetrieve)
	mux.HandleFunc("/v1/workflow/run", s.serveWorkflowRun)
	mux.HandleFunc("/v1/workflow/stream_run", s.serveWorkflowStreamRun)
	mux.HandleFunc("/v1/workflow/stream_resume", s.serveWorkflowResume)
	mux.HandleFunc("/v1/workflows/chat", s.serveWorkflowChat)
	mux.HandleFunc("/v1/workflows/{workflow_id}/run_histories/{execute_id}", s.serveRunHistory)
	mux.HandleFunc("/v1/datasets", s.serveDatasets)
	mux.HandleFunc("/v1/datasets/{dataset_id}", s.serveDataset)
	mux.HandleFunc("/v1/datasets/{dataset_id}/process", s.serveDatasetProcess)
	mux.HandleFunc("/v1/datasets/{dataset_id}/images", s.serveImages)
	mux.HandleFunc("/v1/datasets/{dataset_id}/images/{document_id}", s.serveImageUpdate)
	mux.HandleFunc("/open_api/knowledge/document/list", s.serveDocumentList)
	mux.HandleFunc("/open_api/knowledge/document/create", s.serveDocumentCreate)
	mux.HandleFunc("/open_api/knowledge/document/update", s.serveDocumentUpdate)
	mux.HandleFunc("/open_api/knowledge/document/delete", s.serveDocumentDelete)
	mux.HandleFunc("/v1/audio/voices", s.serveVoices)
}

// seedResources fills a fresh state with the seeded workspaces, bots,
// workflows, dataset and voices.
func (s *Server) seedResources(rs *resources) {
	now := s.now().Unix()
	rs.mux = http.NewServeMux()
	s.routes(rs.mux)
	rs.workspaces = []workspace{
		{ID: SeedWorkspaceID, Name: "Personal", IconURL: "", RoleType: "owner", WorkspaceType: "personal"},
		{ID: SeedTeamWorkspaceID, Name: "Emulator team", IconURL: "", RoleType: "member", WorkspaceType: "team"},
	}
	rs.bots = newOrdered[*bot](maxBots)
	for i, b := range []struct{ id, space, name, desc string }{
		{SeedBotID, SeedWorkspaceID, "Echo Bot", "Answers every message with what you said."},
		{SeedBot2ID, SeedWorkspaceID, "Helper Bot", "A second published bot, for scope tests."},
		{SeedBot3ID, SeedTeamWorkspaceID, "Team Bot", "A published bot of the team workspace."},
	} {
		t := now - int64(3-i)
		rs.bots.add(b.id, &bot{
			ID: b.id, SpaceID: b.space, Owner: s.user, Created: t, Updated: t, Published: t, Version: "1",
			Connectors: []string{APIConnectorID},
			draft: botConfig{
				Name: b.name, Description: b.desc, Prompt: "Repeat the user's message.",
				Prologue: "Hello, I am " + b.name + ".", ModelID: defaultModelID, ReplyMode: "disable",
			},
		}, false)
		bt, _ := rs.bots.get(b.id)
		if b.id == SeedBotID {
			bt.draft.WorkflowIDs = []string{SeedWorkflowID, SeedQuestionWorkflowID, SeedFailingWorkflowID}
			bt.draft.DatasetIDs = []string{SeedDatasetID}
		}
		online := bt.draft
		bt.online = &online
	}
	rs.files = newOrdered[fileInfo](maxFiles)
	rs.workflows = map[string]workflow{
		SeedWorkflowID:         {ID: SeedWorkflowID, Name: "echo", Kind: wfEcho},
		SeedQuestionWorkflowID: {ID: SeedQuestionWorkflowID, Name: "question", Kind: wfQuestion},
		SeedFailingWorkflowID:  {ID: SeedFailingWorkflowID, Name: "failing", Kind: wfFail},
	}
	rs.runs = newOrdered[*workflowRun](maxRuns)
	rs.interrupts = newOrdered[*interrupt](maxInterrupts)
	rs.datasets = newOrdered[*dataset](maxDatasets)
	rs.documents = newOrdered[*document](maxDocuments)
	rs.datasets.add(SeedDatasetID, &dataset{
		ID: SeedDatasetID, SpaceID: SeedWorkspaceID, Name: "Emulator FAQ",
		Description: "A text knowledge base seeded by the emulator.", FormatType: 0,
		Created: now, Updated: now, Creator: s.user,
	}, false)
	rs.documents.add(SeedDocumentID, &document{
		ID: SeedDocumentID, DatasetID: SeedDatasetID, Name: "faq.txt", Type: "txt",
		Size: 42, Chars: 42, FormatType: 0, Created: now, Updated: now, Creator: s.user,
	}, false)
	rs.voices = seedVoices(now)
}

// writeData answers Coze's success envelope {"code":0,"msg":"","data":...}
// with the log id in detail.logid; a nil data is left out.
func writeData(w http.ResponseWriter, data any) {
	body := map[string]any{"code": 0, "msg": "", "detail": map[string]string{"logid": w.Header().Get("X-Tt-Logid")}}
	if data != nil {
		body["data"] = data
	}
	writeJSON(w, http.StatusOK, body)
}

// writeFields answers a success whose fields sit beside code and msg (the
// knowledge document endpoints and /v1/workflow/run).
func writeFields(w http.ResponseWriter, fields map[string]any) {
	fields["code"] = 0
	fields["msg"] = ""
	fields["detail"] = map[string]string{"logid": w.Header().Get("X-Tt-Logid")}
	writeJSON(w, http.StatusOK, fields)
}

// invalid answers Coze's invalid-parameter error (HTTP 200, code 4000).
func invalid(w http.ResponseWriter, msg string) {
	writeAPIFailure(w, codeInvalid, msg)
}

// resNotFound answers Coze's resource-not-found error (HTTP 200, code 4200).
func resNotFound(w http.ResponseWriter, what, id string) {
	writeAPIFailure(w, codeNotFound, what+" "+strconv.Quote(id)+" does not exist: check the id (list calls name the existing ones)")
}

// readJSON decodes a JSON object body of at most maxResourceBody bytes into
// v, answering Coze's error and reporting false when it cannot.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResourceBody+1))
	switch {
	case err != nil:
		invalid(w, "invalid request: cannot read the body")
		return false
	case len(body) > maxResourceBody:
		invalid(w, "invalid request: body larger than "+strconv.Itoa(maxResourceBody)+" bytes")
		return false
	case len(bytes.TrimSpace(body)) == 0:
		invalid(w, "invalid request: the body must be a JSON object")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		invalid(w, "invalid request body: "+jsonProblem(err))
		return false
	}
	if dec.More() {
		invalid(w, "invalid request body: more than one JSON value")
		return false
	}
	return true
}

// jsonProblem describes a decoding error without echoing the body.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := cmp.Or(te.Field, "the body")
		return field + " must be " + jsonKind(te.Type.Kind().String())
	}
	return "not valid JSON (" + err.Error() + ")"
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	case "int", "int64", "int32", "float64":
		return "a number"
	}
	return "of another type"
}

// unix is the emulator clock in epoch seconds.
func (s *Server) unix() int64 { return s.now().Unix() }
