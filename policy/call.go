package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/cozeauth/cozeauth/coze"
)

// MaxCallBody is the largest request body CheckCall reads. The gateway
// refuses larger bodies on checked calls rather than forward them
// unchecked.
const MaxCallBody = 64 << 10

// Calls on these paths name the bot they act on (bot_id in the query, in
// the JSON body, or as the segment after /v1/bots/).
var botRoots = []string{"/v3/chat", "/v1/chat", "/v1/conversation", "/v1/conversations", "/v1/bot", "/v1/bots", "/v1/audio/rooms"}

// Calls on these paths name the workflow they run (workflow_id, or the
// segment after /v1/workflows/).
var workflowRoots = []string{"/v1/workflow", "/v1/workflows"}

// botFollowUps act on a chat or conversation the session already holds
// and name no bot; conversation/create may name one (then it is checked).
// Any other call under botRoots must name an allowed bot.
var botFollowUps = []string{"/v3/chat/retrieve", "/v3/chat/message/list", "/v3/chat/submit_tool_outputs",
	"/v3/chat/cancel", "/v1/conversation/create", "/v1/conversation/retrieve", "/v1/conversation/message"}

// ChecksCall reports whether a gateway call on path must be read whole
// (body at most MaxCallBody) and passed to CheckCall: path is a chat,
// conversation, bot or workflow call and a scope restricts bots or
// workflows.
func ChecksCall(path string, scopes ...*coze.Scope) bool {
	if bot, wf := family(path); !bot && !wf {
		return false
	}
	for _, s := range scopes {
		if len(botList(s)) > 0 || len(workflowList(s)) > 0 {
			return true
		}
	}
	return false
}

// CheckCall enforces, on a gateway call, the bot and workflow restrictions
// of every non-nil scope, for apps where Coze itself does not apply them:
//   - every bot_id the call names (query, top-level JSON body field, or
//     /v1/bots/{id}) must be a string listed in each scope's
//     attribute_constraint.connector_bot_chat_attribute.bot_id_list, and a
//     chat, conversation list or bot call must name one (chat follow-ups
//     such as /v3/chat/retrieve name none and need none);
//   - likewise every workflow_id against workflow_permission.workflow_id_list,
//     and a workflow call must name one.
//
// A call it cannot read unambiguously — body not one JSON object, a
// checked field given twice or in another letter case, a query that does
// not parse — is refused (400), never passed. Paths are those of
// PathProblem (clean). It returns nil when the call may go on.
func CheckCall(path string, query map[string][]string, body []byte, scopes ...*coze.Scope) *Denied {
	isBot, isWf := family(path)
	if !isBot && !isWf {
		return nil
	}
	var bots, wfs [][]string
	for _, s := range scopes {
		if l := botList(s); len(l) > 0 {
			bots = append(bots, l)
		}
		if l := workflowList(s); len(l) > 0 {
			wfs = append(wfs, l)
		}
	}
	if bots == nil && wfs == nil {
		return nil
	}
	fields, d := callFields(query, body)
	if d != nil {
		return d
	}
	if id, ok := pathID(path, "/v1/bots/"); ok {
		fields["bot_id"] = append(fields["bot_id"], idValue{s: id, ok: true})
	}
	if id, ok := pathID(path, "/v1/workflows/"); ok {
		fields["workflow_id"] = append(fields["workflow_id"], idValue{s: id, ok: true})
	}
	if bots != nil {
		needed := isBot && !followUp(path)
		if d := checkIDs(fields["bot_id"], bots, needed, "bot_not_allowed", "bot_id", "bot"); d != nil {
			return d
		}
	}
	if wfs != nil {
		if d := checkIDs(fields["workflow_id"], wfs, isWf, "workflow_not_allowed", "workflow_id", "workflow"); d != nil {
			return d
		}
	}
	return nil
}

// CheckCall applies CheckCall with p's scope.
func (p *Policy) CheckCall(path string, query map[string][]string, body []byte) *Denied {
	return CheckCall(path, query, body, p.MaxScope)
}

type idValue struct {
	s  string
	ok bool // a string
}

func checkIDs(vals []idValue, lists [][]string, needed bool, code, field, what string) *Denied {
	if len(vals) == 0 {
		if needed {
			return deny(403, code, "this call must name its %s in %s (query or JSON body): the policy allows only listed %ss", what, field, what)
		}
		return nil
	}
	for _, v := range vals {
		if !v.ok {
			return deny(403, code, "%s must be a string: the policy allows only listed %ss", field, what)
		}
		for _, l := range lists {
			if !slices.Contains(l, v.s) {
				return deny(403, code, "%s %q is not allowed by the policy", field, v.s)
			}
		}
	}
	return nil
}

var checkedFields = []string{"bot_id", "workflow_id"}

// callFields reads bot_id and workflow_id from the query and the body's
// top level, refusing anything another reader could take differently.
func callFields(query map[string][]string, body []byte) (map[string][]idValue, *Denied) {
	fields := map[string][]idValue{}
	for k, vs := range query {
		name, d := checkedName(k, "query parameter")
		if d != nil {
			return nil, d
		}
		if name == "" {
			continue
		}
		if len(vs) != 1 {
			return nil, deny(400, "bad_request", "query parameter %s given %d times: give it once", name, len(vs))
		}
		fields[name] = append(fields[name], idValue{s: vs[0], ok: true})
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return fields, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, deny(400, "bad_request", "request body: expected one JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, deny(400, "bad_request", "request body: malformed JSON")
		}
		key, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, deny(400, "bad_request", "request body: malformed JSON")
		}
		name, d := checkedName(key, "body field")
		if d != nil {
			return nil, d
		}
		if name == "" {
			continue
		}
		if seen[name] {
			return nil, deny(400, "bad_request", "body field %s given twice: give it once", name)
		}
		seen[name] = true
		var v idValue
		v.ok = len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &v.s) == nil
		fields[name] = append(fields[name], v)
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return nil, deny(400, "bad_request", "request body: malformed JSON")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, deny(400, "bad_request", "request body: more than one JSON value")
	}
	return fields, nil
}

// checkedName returns the checked field k names, "" for none; a name that
// matches one only when case is ignored (as Go's encoding/json does, with
// Unicode folding) is refused.
func checkedName(k, where string) (string, *Denied) {
	for _, n := range checkedFields {
		if k == n {
			return n, nil
		}
		if strings.EqualFold(k, n) {
			return "", deny(400, "bad_request", "%s %q: write it as %s", where, k, n)
		}
	}
	return "", nil
}

// family says whether path is a bot (chat, conversation, bot) call, a
// workflow call, or neither.
func family(path string) (bot, workflow bool) {
	for _, r := range botRoots {
		bot = bot || underPath(path, r)
	}
	for _, r := range workflowRoots {
		workflow = workflow || underPath(path, r)
	}
	return bot, workflow
}

func followUp(path string) bool {
	for _, f := range botFollowUps {
		if underPath(path, f) {
			return true
		}
	}
	// /v1/conversations/{id}/clear
	if id, ok := pathID(path, "/v1/conversations/"); ok {
		return path == "/v1/conversations/"+id+"/clear"
	}
	return false
}

// pathID returns the all-digit segment right after prefix, if any.
func pathID(path, prefix string) (string, bool) {
	rest, ok := strings.CutPrefix(path, prefix)
	if !ok {
		return "", false
	}
	seg, _, _ := strings.Cut(rest, "/")
	if seg == "" || strings.Trim(seg, "0123456789") != "" {
		return "", false
	}
	return seg, true
}

func botList(s *coze.Scope) []string {
	if s == nil {
		return nil
	}
	return bots(s)
}

func workflowList(s *coze.Scope) []string {
	if s == nil || s.WorkflowPermission == nil {
		return nil
	}
	return s.WorkflowPermission.WorkflowIDList
}
