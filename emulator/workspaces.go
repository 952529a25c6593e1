package emulator

import "net/http"

// workspace is Coze's WorkSpace as /v1/workspaces lists it.
type workspace struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	IconURL       string `json:"icon_url"`
	RoleType      string `json:"role_type"`
	WorkspaceType string `json:"workspace_type"`
}

// serveWorkspaces answers GET /v1/workspaces?page_num=&page_size= (default
// 10, at most 50) with {"workspaces":[...],"total_count":n}.
func (s *Server) serveWorkspaces(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.enter(w, r, http.MethodGet); !ok {
		return
	}
	num, size, problem := pageQuery(r.URL.Query(), 10, 50, "page_num")
	if problem != "" {
		invalid(w, problem)
		return
	}
	rs := s.res()
	rs.mu.Lock()
	all := append([]workspace(nil), rs.workspaces...)
	rs.mu.Unlock()
	items, _ := page(all, num, size)
	writeData(w, map[string]any{"workspaces": items, "total_count": len(all)})
}

// knownWorkspace reports whether id is one of the seeded workspaces.
func (rs *resources) knownWorkspace(id string) bool {
	for _, ws := range rs.workspaces {
		if ws.ID == id {
			return true
		}
	}
	return false
}
