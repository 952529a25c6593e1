package emulator

import "net/http"

// fileInfo is what the emulator remembers of an uploaded file: never its
// content, only Coze's FileObject fields.
type fileInfo struct {
	ID      string `json:"id"`
	Bytes   int64  `json:"bytes"`
	Created int64  `json:"created_at"`
	Name    string `json:"file_name"`
}

// rememberFile records an uploaded file for /v1/files/retrieve, forgetting
// the oldest past maxFiles.
func (s *Server) rememberFile(f fileInfo) {
	rs := s.res()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.files.add(f.ID, f, true)
}

// serveFileRetrieve answers GET /v1/files/retrieve?file_id= with the
// FileObject of an upload.
func (s *Server) serveFileRetrieve(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.enter(w, r, http.MethodGet); !ok {
		return
	}
	id := r.URL.Query().Get("file_id")
	if id == "" {
		invalid(w, "invalid parameter: file_id is required (the id /v1/files/upload answered)")
		return
	}
	rs := s.res()
	rs.mu.Lock()
	f, ok := rs.files.get(id)
	rs.mu.Unlock()
	if !ok {
		resNotFound(w, "file", id)
		return
	}
	writeData(w, f)
}
