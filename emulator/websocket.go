package emulator

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// MaxWSMessageBytes bounds a WebSocket message the chat endpoint accepts; a
// larger one closes the connection with status 1009.
const MaxWSMessageBytes = 16 << 20

// wsIdleTimeout closes a WebSocket on which the client has sent nothing
// this long.
const wsIdleTimeout = 5 * time.Minute

// wsWriteTimeout bounds the sending of one event, so a client that stops
// reading cannot hold the connection open.
const wsWriteTimeout = 30 * time.Second

// Realtime chat event types (the SDKs' WebsocketsEventType).
const (
	wsChatUpdate         = "chat.update"
	wsChatCreated        = "chat.created"
	wsChatUpdated        = "chat.updated"
	wsMessageCreate      = "conversation.message.create"
	wsConvClear          = "conversation.clear"
	wsConvCleared        = "conversation.cleared"
	wsChatCancel         = "conversation.chat.cancel"
	wsChatCanceled       = "conversation.chat.canceled"
	wsSubmitToolOutputs  = "conversation.chat.submit_tool_outputs"
	wsAudioAppend        = "input_audio_buffer.append"
	wsAudioComplete      = "input_audio_buffer.complete"
	wsAudioCompleted     = "input_audio_buffer.completed"
	wsAudioClear         = "input_audio_buffer.clear"
	wsAudioCleared       = "input_audio_buffer.cleared"
	wsError              = "error"
	wsChatCreatedEvent   = "conversation.chat.created"
	wsChatInProgress     = "conversation.chat.in_progress"
	wsMessageDelta       = "conversation.message.delta"
	wsMessageCompleted   = "conversation.message.completed"
	wsChatCompletedEvent = "conversation.chat.completed"
)

// serveWebSocket answers GET /v1/chat?bot_id=...: after checking the
// bearer credential (header, or ?authorization=Bearer%20<x>), the bot and
// the handshake, it upgrades the connection and speaks the realtime chat
// protocol in text: chat.created first; then for each user
// conversation.message.create the events of a chat (created, in_progress,
// message deltas, message completed, chat completed) whose answer echoes
// the message; chat.update, conversation.clear, conversation.chat.cancel
// and input_audio_buffer.complete/clear are acknowledged; anything else is
// answered with an error event, and the connection stays open.
func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodGet) {
		return
	}
	if _, ok := s.authAPI(w, r, true); !ok {
		return
	}
	botID := r.URL.Query().Get("bot_id")
	if botID == "" {
		writeAPIError(w, http.StatusBadRequest, 4000, "invalid parameter: bot_id is required (?bot_id=...)")
		return
	}
	if !s.allowBot(w, r, botID) {
		return
	}
	if !r.ProtoAtLeast(1, 1) || !hasToken(r.Header, "Connection", "upgrade") || !hasToken(r.Header, "Upgrade", "websocket") {
		w.Header().Set("Upgrade", "websocket")
		writeAPIError(w, http.StatusUpgradeRequired, 4000, "this endpoint needs a WebSocket upgrade")
		return
	}
	if r.Header.Get("Sec-WebSocket-Version") != "13" {
		w.Header().Set("Sec-WebSocket-Version", "13")
		writeAPIError(w, http.StatusUpgradeRequired, 4000, "unsupported WebSocket version: use 13")
		return
	}
	key := strings.TrimSpace(r.Header.Get("Sec-WebSocket-Key"))
	if raw, err := base64.StdEncoding.DecodeString(key); err != nil || len(raw) != 16 {
		writeAPIError(w, http.StatusBadRequest, 4000, "invalid Sec-WebSocket-Key")
		return
	}
	if !canHijack(w) {
		writeAPIError(w, http.StatusInternalServerError, 5000, "cannot upgrade this connection (WebSocket needs HTTP/1.1)")
		return
	}
	// Coze's realtime host serves browsers of any origin.
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return // Accept has answered
	}
	defer c.CloseNow()
	c.SetReadLimit(MaxWSMessageBytes)
	rt := &realtime{s: s, c: c, r: r, logid: w.Header().Get("X-Tt-Logid"), botID: botID,
		conv: newID(), cut: faultCut(r)}
	rt.run()
}

// canHijack reports whether w, or a writer it wraps, can be hijacked.
func canHijack(w http.ResponseWriter) bool {
	for {
		if _, ok := w.(http.Hijacker); ok {
			return true
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return false
		}
		w = u.Unwrap()
	}
}

// realtime is one chat WebSocket.
type realtime struct {
	s      *Server
	c      *websocket.Conn
	r      *http.Request
	logid  string
	botID  string
	conv   string
	userID string
	sent   int
	cut    int // close abruptly after this many events (a fault); 0: never
}

// wsEvent is a client event: what the emulator reads of it.
type wsEvent struct {
	ID        string          `json:"id"`
	EventType string          `json:"event_type"`
	Data      json.RawMessage `json:"data"`
}

// run sends chat.created and answers client events until the client
// closes, goes silent for wsIdleTimeout or breaks the protocol.
func (rt *realtime) run() {
	ctx := rt.r.Context()
	if rt.send(ctx, wsChatCreated, nil) != nil {
		return
	}
	for {
		rctx, cancel := context.WithTimeout(ctx, wsIdleTimeout)
		typ, data, err := rt.c.Read(rctx)
		cancel()
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				_ = rt.c.Close(websocket.StatusPolicyViolation, "idle for too long")
			}
			return
		}
		if typ != websocket.MessageText {
			if rt.fail(ctx, "", 4000, "binary messages are not accepted: send JSON events as text") != nil {
				return
			}
			continue
		}
		var ev wsEvent
		if err := json.Unmarshal(data, &ev); err != nil || ev.EventType == "" {
			if rt.fail(ctx, "", 4000, "invalid event: send a JSON object with id, event_type and data") != nil {
				return
			}
			continue
		}
		if rt.handle(ctx, &ev) != nil {
			return
		}
	}
}

// handle answers one client event; an error means the connection is done.
func (rt *realtime) handle(ctx context.Context, ev *wsEvent) error {
	switch ev.EventType {
	case wsChatUpdate:
		return rt.update(ctx, ev)
	case wsMessageCreate:
		var m struct {
			Role        string `json:"role"`
			ContentType string `json:"content_type"`
			Content     string `json:"content"`
		}
		if json.Unmarshal(ev.Data, &m) != nil || (m.Role != "user" && m.Role != "assistant") {
			return rt.fail(ctx, ev.ID, 4000, "invalid conversation.message.create: data needs role (user or assistant), content_type and content")
		}
		if m.Role != "user" {
			return nil // context for the next chat; nothing to answer
		}
		return rt.chat(ctx, m.Content)
	case wsConvClear:
		rt.conv = newID()
		return rt.send(ctx, wsConvCleared, nil)
	case wsChatCancel:
		return rt.send(ctx, wsChatCanceled, nil)
	case wsAudioAppend:
		return nil
	case wsAudioComplete:
		return rt.send(ctx, wsAudioCompleted, nil)
	case wsAudioClear:
		return rt.send(ctx, wsAudioCleared, nil)
	case wsSubmitToolOutputs:
		return rt.fail(ctx, ev.ID, 4000, "no chat on this connection requires action")
	}
	return rt.fail(ctx, ev.ID, 4000, "unknown event_type "+quoteID(ev.EventType))
}

// update applies chat.update's chat_config and answers chat.updated.
func (rt *realtime) update(ctx context.Context, ev *wsEvent) error {
	var u struct {
		ChatConfig *struct {
			UserID         string `json:"user_id"`
			ConversationID string `json:"conversation_id"`
		} `json:"chat_config"`
	}
	if len(ev.Data) > 0 && json.Unmarshal(ev.Data, &u) != nil {
		return rt.fail(ctx, ev.ID, 4000, "invalid chat.update: data must be an object")
	}
	if cc := u.ChatConfig; cc != nil {
		if cc.UserID != "" {
			rt.userID = cc.UserID
		}
		if cc.ConversationID != "" {
			rt.conv = cc.ConversationID
		}
	}
	return rt.send(ctx, wsChatUpdated, map[string]any{
		"chat_config": map[string]any{"user_id": rt.userID, "conversation_id": rt.conv, "auto_save_history": true,
			"meta_data": map[string]string{}, "custom_variables": map[string]string{}, "extra_params": map[string]string{},
			"parameters": map[string]any{}},
		"input_audio":  map[string]any{"format": "pcm", "codec": "pcm", "sample_rate": 24000, "channel": 1, "bit_depth": 16},
		"output_audio": map[string]any{"codec": "pcm"},
	})
}

// chat sends the events of one text chat answering input.
func (rt *realtime) chat(ctx context.Context, input string) error {
	s := rt.s
	reply := "You said: " + input
	chat := chatObject{ID: newID(), ConversationID: rt.conv, BotID: rt.botID, CreatedAt: s.now().Unix(),
		Status: "created", SectionID: rt.conv}
	if err := rt.send(ctx, wsChatCreatedEvent, chat); err != nil {
		return err
	}
	chat.Status = "in_progress"
	if err := rt.pause(ctx); err != nil {
		return err
	}
	if err := rt.send(ctx, wsChatInProgress, chat); err != nil {
		return err
	}
	now := s.now().Unix()
	msg := message{ID: newID(), ConversationID: chat.ConversationID, BotID: chat.BotID, Role: "assistant", MetaData: map[string]string{},
		Type: "answer", ContentType: "text", ChatID: chat.ID, SectionID: chat.SectionID, CreatedAt: now, UpdatedAt: now}
	for _, piece := range splitReply(reply, s.streamEvents) {
		msg.Content = piece
		if err := rt.pause(ctx); err != nil {
			return err
		}
		if err := rt.send(ctx, wsMessageDelta, msg); err != nil {
			return err
		}
	}
	msg.Content = reply
	if err := rt.send(ctx, wsMessageCompleted, msg); err != nil {
		return err
	}
	in, out := len(strings.Fields(input)), len(strings.Fields(reply))
	chat.Status = "completed"
	chat.CompletedAt = s.now().Unix()
	chat.Usage = chatUsage{TokenCount: in + out, OutputCount: out, InputCount: in}
	return rt.send(ctx, wsChatCompletedEvent, chat)
}

// pause waits the stream delay between events.
func (rt *realtime) pause(ctx context.Context) error {
	if rt.s.streamDelay <= 0 {
		return nil
	}
	t := time.NewTimer(rt.s.streamDelay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fail sends an error event answering the client event id (a fresh id
// when the client gave none).
func (rt *realtime) fail(ctx context.Context, id string, code int, msg string) error {
	if id == "" {
		id = newID()
	}
	return rt.sendID(ctx, id, wsError, map[string]any{"code": code, "msg": msg})
}

// send sends one server event with a fresh id.
func (rt *realtime) send(ctx context.Context, typ string, data any) error {
	return rt.sendID(ctx, newID(), typ, data)
}

// errCut is the end of a connection cut by a fault.
var errCut = errors.New("emulator: stream cut by a fault")

// sendID sends {id, event_type, data, detail:{logid}} as one text message.
// A cut fault closes the connection abruptly once it has sent its count.
func (rt *realtime) sendID(ctx context.Context, id, typ string, data any) error {
	if rt.cut > 0 && rt.sent >= rt.cut {
		rt.c.CloseNow()
		return errCut
	}
	ev := map[string]any{"id": id, "event_type": typ, "detail": map[string]string{"logid": rt.logid}}
	if data != nil {
		ev["data"] = data
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, wsWriteTimeout)
	defer cancel()
	if err := rt.c.Write(wctx, websocket.MessageText, b); err != nil {
		return err
	}
	rt.sent++
	if fn := rt.s.onEvent.Load(); fn != nil {
		(*fn)(typ, time.Now())
	}
	return nil
}

// hasToken reports whether the comma-separated header name lists token
// (case-insensitively).
func hasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
