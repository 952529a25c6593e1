package emulator

import (
	"net/http"
	"strings"
)

// Permissions the emulator knows. Connector.botChat is Coze's documented
// name for chat; the others are the emulator's own names for the console's
// permission groups (Coze documents no other names), one per endpoint
// family and, where it matters, read (GET) or write (any other method).
const (
	PermBotChat        = "Connector.botChat" // chat, conversations, messages, the chat WebSocket
	PermUserRead       = "User.read"         // GET /v1/users/me
	PermBotRead        = "Bot.read"          // bots: list, retrieve, published bots
	PermBotWrite       = "Bot.write"         // bots: create, update, publish, unpublish
	PermWorkspaceRead  = "Workspace.read"    // GET /v1/workspaces
	PermWorkspaceWrite = "Workspace.write"   // workspace changes
	PermFileUpload     = "File.upload"       // POST /v1/files/upload
	PermFileRead       = "File.read"         // GET /v1/files/retrieve
	PermWorkflowRun    = "Workflow.run"      // workflow runs, resumes, chat flows, run histories
	PermDatasetRead    = "Dataset.read"      // GET datasets and their documents
	PermDatasetWrite   = "Dataset.write"     // dataset and document changes
	PermAudioRead      = "Audio.read"        // GET /v1/audio/... (voice lists)
	PermAudioWrite     = "Audio.write"       // speech, transcription, voice cloning
)

// AllPermissions lists every permission the emulator maps to endpoints,
// what an app gets by default.
var AllPermissions = []string{
	PermBotChat, PermUserRead, PermBotRead, PermBotWrite, PermWorkspaceRead,
	PermWorkspaceWrite, PermFileUpload, PermFileRead, PermWorkflowRun,
	PermDatasetRead, PermDatasetWrite, PermAudioRead, PermAudioWrite,
}

// permRule maps the paths under (or equal to) prefix to a permission for
// reads (GET, HEAD) and one for other methods.
type permRule struct {
	prefix      string
	read, write string
}

// permRules is the path → permission table, most specific first. A path
// matches a rule when it equals the prefix or continues it after a "/".
var permRules = []permRule{
	{"/v1/users/me", PermUserRead, PermUserRead},
	{"/v3/chat", PermBotChat, PermBotChat},
	{"/v1/conversation", PermBotChat, PermBotChat},
	{"/v1/conversations", PermBotChat, PermBotChat},
	{"/v1/chat", PermBotChat, PermBotChat}, // the realtime chat WebSocket
	{"/v1/bots", PermBotRead, PermBotWrite},
	{"/v1/bot", PermBotRead, PermBotWrite},
	{"/v1/space/published_bots_list", PermBotRead, PermBotRead},
	{"/v1/workspaces", PermWorkspaceRead, PermWorkspaceWrite},
	{"/v1/files/upload", PermFileUpload, PermFileUpload},
	{"/v1/files", PermFileRead, PermFileRead},
	{"/v1/workflow", PermWorkflowRun, PermWorkflowRun},
	{"/v1/workflows", PermWorkflowRun, PermWorkflowRun},
	{"/v1/datasets", PermDatasetRead, PermDatasetWrite},
	{"/v1/audio", PermAudioRead, PermAudioWrite},
}

// permissionFor names the permission a request needs, or "" for a path no
// rule covers (which only an unrestricted token may call).
func permissionFor(method, path string) string {
	for _, r := range permRules {
		rest, ok := strings.CutPrefix(path, r.prefix)
		if !ok || (rest != "" && rest[0] != '/') {
			continue
		}
		if method == http.MethodGet || method == http.MethodHead {
			return r.read
		}
		return r.write
	}
	return ""
}
