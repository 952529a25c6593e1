package emulator

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
)

// MaxUploadBytes is the largest file /v1/files/upload accepts, Coze's 512 MB.
const MaxUploadBytes = 512 << 20

// uploadInfo describes the last file received.
type uploadInfo struct {
	name string
	size int64
	sum  string
}

// LastUpload describes the last file /v1/files/upload accepted: its name,
// its size in bytes and its SHA-256 in hex. All are zero before any upload.
func (s *Server) LastUpload() (name string, size int64, sha256hex string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lastUpload
	return u.name, u.size, u.sum
}

// serveUpload answers POST /v1/files/upload, a multipart/form-data body
// whose "file" part is the file. The file is streamed through a hash, never
// held in memory; other parts are skipped.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.enter(w, r, http.MethodPost); !ok {
		return
	}
	mr, err := r.MultipartReader()
	if err != nil {
		writeAPIFailure(w, 4000, "invalid request: the body must be multipart/form-data with a file part")
		return
	}
	for {
		part, err := mr.NextPart() // skips the rest of the previous part
		if errors.Is(err, io.EOF) {
			writeAPIFailure(w, 4000, "invalid request: missing file part")
			return
		}
		if err != nil {
			writeAPIFailure(w, 4000, "invalid request: malformed multipart body")
			return
		}
		if part.FormName() != "file" {
			continue
		}
		h := sha256.New()
		n, err := io.Copy(h, io.LimitReader(part, s.maxUpload+1))
		switch {
		case err != nil:
			writeAPIFailure(w, 4000, "invalid request: cannot read the file part")
			return
		case n > s.maxUpload:
			writeAPIFailure(w, 4000, "invalid request: file too large")
			return
		}
		u := uploadInfo{name: part.FileName(), size: n, sum: hex.EncodeToString(h.Sum(nil))}
		s.mu.Lock()
		s.lastUpload = u
		s.mu.Unlock()
		f := fileInfo{ID: newID(), Bytes: u.size, Name: u.name, Created: s.now().Unix()}
		s.rememberFile(f)
		writeJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "", "data": f})
		return
	}
}
