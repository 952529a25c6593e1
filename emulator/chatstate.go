package emulator

import (
	"encoding/json"
	"strings"
	"time"
)

// ChatStep is how long, on the emulator's clock (Options.Now), a
// non-streamed chat stays "created" and then "in_progress" before it
// finishes: "completed" with its answer, or "requires_action" when it asks
// for a tool. A chat is advanced whenever it is looked at, so a client
// polling /v3/chat/retrieve sees created → in_progress → completed, and a
// test with a fake clock moves it by adding ChatStep.
const ChatStep = 100 * time.Millisecond

// ToolTrigger is the word that makes the emulated bot call a tool: a chat
// whose last user message contains it (in any case) stops at
// requires_action with one call of ToolName, whose arguments are
// {"query":"<the message>"}; /v3/chat/submit_tool_outputs then completes it,
// answering "Tool get_weather answered: <output>".
const (
	ToolTrigger = "weather"
	ToolName    = "get_weather"
)

// Chat statuses.
const (
	statusCreated        = "created"
	statusInProgress     = "in_progress"
	statusCompleted      = "completed"
	statusRequiresAction = "requires_action"
	statusCanceled       = "canceled"
)

// chatObject is Coze's chat: the non-stream answers' data and the data of
// the conversation.chat.* events.
type chatObject struct {
	ID             string            `json:"id"`
	ConversationID string            `json:"conversation_id"`
	BotID          string            `json:"bot_id"`
	CreatedAt      int64             `json:"created_at"`
	CompletedAt    int64             `json:"completed_at,omitempty"`
	MetaData       map[string]string `json:"meta_data,omitempty"`
	LastError      chatError         `json:"last_error"`
	Status         string            `json:"status"`
	RequiredAction *requiredAction   `json:"required_action,omitempty"`
	Usage          chatUsage         `json:"usage"`
	SectionID      string            `json:"section_id"`
}

type chatError struct {
	Code int    `json:"code"`
	Msg  string `json:"msg"`
}

type chatUsage struct {
	TokenCount  int `json:"token_count"`
	OutputCount int `json:"output_count"`
	InputCount  int `json:"input_count"`
}

type requiredAction struct {
	Type              string            `json:"type"`
	SubmitToolOutputs submitToolOutputs `json:"submit_tool_outputs"`
}

type submitToolOutputs struct {
	ToolCalls []toolCall `json:"tool_calls"`
}

type toolCall struct {
	ID       string       `json:"id"`
	Type     string       `json:"type"`
	Function toolFunction `json:"function"`
}

type toolFunction struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// toolOutput is one answer of /v3/chat/submit_tool_outputs.
type toolOutput struct {
	ToolCallID string `json:"tool_call_id"`
	Output     string `json:"output"`
}

// chatRec is a chat and its progress. Guarded by convStore.mu.
type chatRec struct {
	chatObject
	conv    *conversation
	input   string       // the last user message
	calls   []toolCall   // the tool calls it asks for, if any
	outputs []toolOutput // what submit_tool_outputs answered
	phase   time.Time    // when the current timed status began
	timed   bool         // advanced by the clock (non-streamed chats)
	save    bool         // auto_save_history: its messages join the conversation
	msgs    []*message   // messages the chat produced, oldest first
	bytes   int          // charged for msgs
}

// newChat records a chat of bot in c, "created" at now.
func (st *convStore) newChat(c *conversation, bot, input string, meta map[string]string, save, timed bool, now time.Time) *chatRec {
	ch := &chatRec{
		chatObject: chatObject{
			ID: newID(), ConversationID: c.id, BotID: bot, CreatedAt: now.Unix(),
			MetaData: meta, Status: statusCreated, SectionID: c.section,
		},
		conv: c, input: input, phase: now, timed: timed, save: save,
	}
	if strings.Contains(strings.ToLower(input), ToolTrigger) {
		args, _ := json.Marshal(map[string]string{"query": input})
		ch.calls = []toolCall{{ID: newID(), Type: "function", Function: toolFunction{Name: ToolName, Arguments: string(args)}}}
	}
	st.addChat(c, ch)
	return ch
}

// advance moves a timed chat on to where the clock says it is.
func (st *convStore) advance(ch *chatRec, now time.Time) {
	for ch.timed {
		next := ch.phase.Add(ChatStep)
		if now.Before(next) {
			return
		}
		switch ch.Status {
		case statusCreated:
			ch.Status, ch.phase = statusInProgress, next
		case statusInProgress:
			st.finish(ch, next)
		default:
			return
		}
	}
}

// finish ends the model's turn at time at: requires_action with a
// function_call message when the chat wants a tool not yet answered, else
// completed with its answer message and usage. It answers the message it
// added.
func (st *convStore) finish(ch *chatRec, at time.Time) *message {
	ch.phase = at
	if len(ch.calls) > 0 && ch.outputs == nil {
		call := ch.calls[0]
		content, _ := json.Marshal(map[string]any{"name": call.Function.Name, "arguments": json.RawMessage(call.Function.Arguments)})
		m := ch.newMessage("function_call", string(content), at)
		st.addChatMessage(ch, m)
		ch.Status = statusRequiresAction
		ch.RequiredAction = &requiredAction{Type: "submit_tool_outputs", SubmitToolOutputs: submitToolOutputs{ToolCalls: ch.calls}}
		return m
	}
	reply := "You said: " + ch.input
	in := len(strings.Fields(ch.input))
	if ch.outputs != nil {
		var parts []string
		for _, o := range ch.outputs {
			parts = append(parts, o.Output)
			in += len(strings.Fields(o.Output))
		}
		reply = "Tool " + ToolName + " answered: " + strings.Join(parts, "; ")
	}
	m := ch.newMessage("answer", reply, at)
	st.addChatMessage(ch, m)
	out := len(strings.Fields(reply))
	ch.Status = statusCompleted
	ch.CompletedAt = at.Unix()
	ch.Usage = chatUsage{TokenCount: in + out, OutputCount: out, InputCount: in}
	return m
}

// answerTools records outputs as tool_response messages and puts the chat
// back in progress at now.
func (st *convStore) answerTools(ch *chatRec, outputs []toolOutput, now time.Time) {
	ch.outputs = outputs
	for _, o := range outputs {
		st.addChatMessage(ch, ch.newMessage("tool_response", o.Output, now))
	}
	ch.RequiredAction = nil
	ch.Status = statusInProgress
	ch.phase = now
}

// newMessage is an assistant message of ch.
func (ch *chatRec) newMessage(typ, content string, at time.Time) *message {
	return &message{
		ID: newID(), ConversationID: ch.ConversationID, BotID: ch.BotID, ChatID: ch.ID,
		MetaData: map[string]string{}, Role: "assistant", Content: content, ContentType: "text",
		CreatedAt: at.Unix(), UpdatedAt: at.Unix(), Type: typ, SectionID: ch.SectionID,
	}
}

// messagesOut copies ch's messages for an answer: those the chat produced,
// not the user's question.
func (ch *chatRec) messagesOut() []message {
	out := make([]message, 0, len(ch.msgs))
	for _, m := range ch.msgs {
		out = append(out, *m)
	}
	return out
}
