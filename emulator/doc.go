// Package emulator is a faithful, in-process fake of Coze's (扣子) OAuth token
// endpoint and a sliver of its OpenAPI, for tests and offline demos.
//
// Authenticated API endpoints (Authorization: Bearer <access token or PAT>):
// GET /v1/users/me, POST /v3/chat (JSON or, with "stream":true, Coze's
// text/event-stream events echoing the user's last message back), POST
// /v1/files/upload (multipart, streamed and hashed, never held in memory) and
// GET /v1/chat?bot_id=... upgraded to the realtime chat WebSocket (Coze
// serves it from a separate host, wss://ws.coze.cn; here it is the same
// server): chat.created on connect, then for each user
// conversation.message.create the events of a text chat
// (conversation.chat.created, conversation.chat.in_progress,
// conversation.message.delta..., conversation.message.completed,
// conversation.chat.completed), each {id, event_type, data, detail.logid} as
// the SDKs' WebsocketsEventType declares them; chat.update,
// conversation.clear, conversation.chat.cancel and input_audio_buffer
// complete/clear are acknowledged, anything else answered with an error
// event.
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
// Resource endpoints, shaped as the official Node SDK (@coze/api) declares
// them, with state in memory, bounded (the oldest files, workflow runs and
// pending interrupts are forgotten; creating bots, datasets or documents past
// their bound answers Coze's error):
//
//	GET  /v1/workspaces                          page_num, page_size (≤50)
//	GET  /v1/space/published_bots_list           space_id, page_index, page_size
//	GET  /v1/bots                                workspace_id, publish_status, connector_id, page_num, page_size
//	GET  /v1/bots/{bot_id}                       is_published
//	GET  /v1/bot/get_online_info                 bot_id
//	POST /v1/bot/create, /v1/bot/update, /v1/bot/publish
//	GET  /v1/files/retrieve                      file_id (any file /v1/files/upload accepted)
//	POST /v1/workflow/run                        is_async for an asynchronous run
//	POST /v1/workflow/stream_run, /v1/workflow/stream_resume   events Message, Interrupt, Error, Done
//	POST /v1/workflows/chat                      streamed like /v3/chat
//	GET  /v1/workflows/{workflow_id}/run_histories/{execute_id}
//	GET, POST /v1/datasets; PUT, DELETE /v1/datasets/{id}; POST /v1/datasets/{id}/process
//	GET  /v1/datasets/{id}/images; PUT /v1/datasets/{id}/images/{document_id}
//	POST /open_api/knowledge/document/{list,create,update,delete}
//	GET  /v1/audio/voices                        filter_system_voice, model_type, page_num, page_size
//
// Successes answer {"code":0,"msg":"","data":...,"detail":{"logid":...}}
// (the knowledge document endpoints and /v1/workflow/run put their fields
// beside code, as Coze does). Bad parameters answer HTTP 200 with code 4000,
// unknown ids HTTP 200 with code 4200, each with a msg saying what to fix.
// Every Server is seeded with the same resources, named by exported
// constants: the personal workspace SeedWorkspaceID and the team workspace
// SeedTeamWorkspaceID; the published bots SeedBotID, SeedBot2ID and
// SeedBot3ID; the workflows SeedWorkflowID (echoes its parameters),
// SeedQuestionWorkflowID (interrupts with a question that stream_resume
// answers) and SeedFailingWorkflowID (always fails); the knowledge base
// SeedDatasetID with its document SeedDocumentID; and the voices, SeedVoiceID
// first.
//
// It speaks the wire protocol described in the project's notes: JWT-bearer
// assertions are verified by hand (RS256 with registered public keys, iss,
// aud, iat, exp and jti replay checks; aud may be the region's audience,
// one of Options.Audiences, or the host[:port] the token request was sent
// to, as the SDKs sign it from their base URL), access tokens are opaque "czs_"
// strings with an absolute expires_in, errors use Coze's JSON shapes, and every
// response carries an X-Tt-Logid header.
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
//
// # Permissions and scopes
//
// Every app carries the permissions it was authorized for (AppOptions,
// default AllPermissions). A developer's own app ignores the scope of its
// token requests, as Coze does: its tokens carry the app's permissions. A
// channel app (AppOptions.Channel) gets what the scope asks, within the
// app's permissions: account_permission.permission_list (joined by the
// permission lists of workspace_permission and workflow_permission),
// attribute_constraint.connector_bot_chat_attribute.bot_id_list,
// workspace_permission.workspace_id_list and
// workflow_permission.workflow_id_list. A part left out limits nothing; an
// empty or oversized list, or a permission the app lacks, is refused with
// invalid_request. Access tokens carry what they may do (HMAC-sealed);
// PATs may do everything.
//
// Each API path needs one permission (reads are GET and HEAD):
//
//	/v1/users/me                                  User.read
//	/v3/chat, /v3/chat/...                        Connector.botChat
//	/v1/conversation/..., /v1/conversations[/...] Connector.botChat
//	/v1/chat (the chat WebSocket)                 Connector.botChat
//	/v1/bots[/...], /v1/bot/...,                  Bot.read (reads), Bot.write (others)
//	  /v1/space/published_bots_list               Bot.read
//	/v1/workspaces[/...]                          Workspace.read, Workspace.write
//	/v1/files/upload                              File.upload
//	/v1/files/... (retrieve)                      File.read
//	/v1/workflow/..., /v1/workflows[/...]         Workflow.run
//	/v1/datasets[/...]                            Dataset.read, Dataset.write
//	/v1/audio/...                                 Audio.read, Audio.write
//
// Connector.botChat is Coze's documented name; the others are the
// emulator's. A path no row covers needs a token with every permission.
// A token without the permission is answered 403 {"code":4101,"msg":...,
// "detail":{"logid":...}}; handlers then check the bot, workspace or
// workflow they act on against the token's lists (4101 again outside
// them). An invalid or expired token is answered 401 with code 4100.
//
// # Faults
//
// Inject (or POST /_emulator/faults, see FaultsPath) queues faults for the
// requests under a path prefix: latency, an error status (429 with
// Retry-After, 5xx) in Coze's error shape, a dropped connection, an answer
// carried out but lost, or a stream (server-sent events or WebSocket
// events) cut after a number of events.
package emulator
