// Package emulator is a faithful, in-process fake of Coze's (扣子) OAuth token
// endpoint and a sliver of its OpenAPI, for tests and offline demos.
//
// Authenticated API endpoints (Authorization: Bearer <access token or PAT>):
// GET /v1/users/me, POST /v3/chat (JSON or, with "stream":true, Coze's
// text/event-stream events echoing the user's last message back), POST
// /v1/files/upload (multipart, streamed and hashed, never held in memory) and
// GET /v1/chat upgraded to a WebSocket that echoes every message (Coze serves
// realtime endpoints from a separate host, wss://ws.coze.cn; here it is the
// same server).
//
// Conversations, messages and the chat lifecycle are emulated as the
// official SDKs call them (see conversationRoutes): /v1/conversation/create,
// /v1/conversation/retrieve, /v1/conversations (list by bot_id, page_num,
// page_size, has_more), /v1/conversations/{id}/clear (a new section),
// /v1/conversation/message/create|list|retrieve|modify|delete (list pages
// with before_id/after_id, first_id, last_id, has_more), and
// /v3/chat/retrieve, /v3/chat/message/list, /v3/chat/cancel and
// /v3/chat/submit_tool_outputs (plain or streamed). A non-streamed /v3/chat
// answers a chat "created" that moves to "in_progress" and then
// "completed" one ChatStep apart on the emulator's clock (Options.Now),
// advanced whenever it is looked at; a chat whose last user message
// contains ToolTrigger ("weather") stops at "requires_action" with a
// ToolName call instead, until submit_tool_outputs answers it. Cancel moves
// a chat not yet finished to "canceled". /v3/chat with a conversation_id
// appends to that conversation; without one it makes a new one. Successes
// carry Coze's envelope {"code":0,"msg":"","data":...,"detail":{"logid"}}
// (modify answers "message" in place of "data", and the message list puts
// first_id, last_id and has_more beside data).
//
// Every conversation belongs to the identity its token authenticates as:
// "<client_id>-<session_name>" for JWT tokens, the consenting user for user
// grants, the PAT's user. Any other identity gets code 4200 for it, as for
// an unknown id, so session_name isolates end users. Bad bodies and
// parameters answer HTTP 200 with code 4000 and a message naming the field.
// The store is in memory and bounded (MaxConversations, MaxConversationMsgs,
// MaxConversationChats, MaxStoredMessages, MaxStoredBytes): the least
// recently used conversation is evicted first.
//
// It speaks the wire protocol described in the project's notes: JWT-bearer
// assertions are verified by hand (RS256 with registered public keys, iss,
// aud, iat, exp and jti replay checks), access tokens are opaque "czs_"
// strings with an absolute expires_in, errors use Coze's JSON shapes, and every
// response carries an X-Tt-Logid header. Faults (latency, error statuses,
// dropped connections) can be queued to exercise client retry logic.
//
// It also speaks every user-delegated grant, with its own code (it imports
// none of the project's client packages): the authorize page of web and PKCE
// apps (GET /api/permission/oauth2/authorize and its workspace variant,
// served on the same server as Coze's www host) with a consent page or
// automatic approval or denial (Options.Approve); the authorization_code
// grant (client secret for web apps, S256 or plain code_verifier for PKCE);
// the device flow (POST /api/permission/oauth2/device/code, a verification
// page at VerifyPath, polling answering authorization_pending, slow_down,
// access_denied and expired_token); and the refresh_token grant with
// rotation: every refresh token is single-use, and presenting a spent one
// answers invalid_grant and revokes the grant it came from. Redemptions are
// counted per refresh token (RefreshRedemptions, DoubleRedemptions) so tests
// can prove none is used twice.
//
// The emulator never logs anything, so it cannot leak keys or tokens.
package emulator
