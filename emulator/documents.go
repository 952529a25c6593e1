package emulator

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// document is a file of a knowledge base: text, table or image. Only its
// metadata is kept, never its content.
type document struct {
	ID             string
	DatasetID      string
	Name           string
	Type           string // file type: txt, pdf, png, ...
	Size           int64
	Chars          int
	FormatType     int
	Created        int64
	Updated        int64
	Creator        string
	Caption        string // images only
	SourceType     int    // 0 local file, 1 web page
	WebURL         string
	UpdateType     int
	UpdateInterval int
}

func (d *document) url() string {
	if d.WebURL != "" {
		return d.WebURL
	}
	return "https://emulator.invalid/knowledge/" + d.ID
}

// info is Coze's DocumentInfo.
func (d *document) info() map[string]any {
	return map[string]any{
		"document_id":     d.ID,
		"name":            d.Name,
		"type":            d.Type,
		"size":            d.Size,
		"char_count":      d.Chars,
		"format_type":     d.FormatType,
		"chunk_strategy":  map[string]any{"chunk_type": 0},
		"create_time":     d.Created,
		"update_time":     d.Updated,
		"hit_count":       0,
		"slice_count":     1,
		"status":          1,
		"source_type":     d.SourceType,
		"update_type":     d.UpdateType,
		"update_interval": d.UpdateInterval,
		"tos_uri":         "emulator/knowledge/" + d.ID,
	}
}

type updateRule struct {
	UpdateType     int `json:"update_type"`
	UpdateInterval int `json:"update_interval"`
}

// serveDocumentList answers /open_api/knowledge/document/list, POST with a
// JSON body or GET with a query (the Node SDK's deprecated knowledge API):
// dataset_id, page (default 1), page_size (default 10, at most 200); the
// answer's fields sit beside code: {"document_infos":[...],"total":n}.
func (s *Server) serveDocumentList(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		w.Header().Set("Allow", "POST, GET")
		writeAPIError(w, http.StatusMethodNotAllowed, codeInvalid, "method not allowed: use POST")
		return
	}
	if _, ok := s.authAPI(w, r, false); !ok {
		return
	}
	var b struct {
		DatasetID string `json:"dataset_id"`
		Page      int    `json:"page"`
		PageSize  int    `json:"page_size"`
	}
	var num, size int
	var problem string
	if r.Method == http.MethodGet {
		q := r.URL.Query()
		b.DatasetID = q.Get("dataset_id")
		num, size, problem = pageQuery(q, 10, 200, "page")
	} else {
		if !readJSON(w, r, &b) {
			return
		}
		num, size, problem = checkPage(b.Page, b.PageSize, 10, 200, "page")
	}
	switch {
	case b.DatasetID == "":
		invalid(w, "invalid parameter: dataset_id is required")
		return
	case problem != "":
		invalid(w, problem)
		return
	}
	space, ok := s.datasetSpace(w, b.DatasetID)
	if !ok || !s.allowWorkspace(w, r, space) {
		return
	}
	rs := s.res()
	rs.mu.Lock()
	docs := rs.documentsOf(b.DatasetID)
	items, _ := page(docs, num, size)
	out := make([]map[string]any, 0, len(items))
	for _, d := range items {
		out = append(out, d.info())
	}
	rs.mu.Unlock()
	writeFields(w, map[string]any{"document_infos": out, "total": len(docs)})
}

// serveDocumentCreate answers POST /open_api/knowledge/document/create
// {"dataset_id","document_bases":[{"name","source_info":{...}}],...} with
// {"document_infos":[...]} beside code. Each source is file_base64 with
// file_type, web_url, or source_file_id (an upload); at most 10 per call.
func (s *Server) serveDocumentCreate(w http.ResponseWriter, r *http.Request) {
	userID, ok := s.enter(w, r, http.MethodPost)
	if !ok {
		return
	}
	var b struct {
		DatasetID     string `json:"dataset_id"`
		DocumentBases []struct {
			Name       string `json:"name"`
			SourceInfo struct {
				FileBase64     string `json:"file_base64"`
				FileType       string `json:"file_type"`
				WebURL         string `json:"web_url"`
				DocumentSource *int   `json:"document_source"`
				SourceFileID   string `json:"source_file_id"`
			} `json:"source_info"`
			UpdateRule *updateRule `json:"update_rule"`
		} `json:"document_bases"`
	}
	if !readJSON(w, r, &b) {
		return
	}
	switch {
	case b.DatasetID == "":
		invalid(w, "invalid parameter: dataset_id is required")
		return
	case len(b.DocumentBases) == 0 || len(b.DocumentBases) > 10:
		invalid(w, "invalid parameter document_bases: send 1 to 10 documents per call")
		return
	}
	space, ok := s.datasetSpace(w, b.DatasetID)
	if !ok || !s.allowWorkspace(w, r, space) {
		return
	}
	rs := s.res()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	ds, ok := rs.datasets.get(b.DatasetID)
	if !ok {
		resNotFound(w, "knowledge base (dataset)", b.DatasetID)
		return
	}
	now := s.unix()
	docs := make([]*document, 0, len(b.DocumentBases))
	for i, base := range b.DocumentBases {
		where := "document_bases[" + strconv.Itoa(i) + "]"
		src := base.SourceInfo
		d := &document{ID: newID(), DatasetID: ds.ID, Name: base.Name, FormatType: ds.FormatType, Created: now, Updated: now, Creator: userID}
		switch {
		case base.Name == "" || utf8.RuneCountInString(base.Name) > 100:
			invalid(w, "invalid parameter "+where+".name: required, at most 100 characters")
			return
		case src.FileBase64 != "":
			raw, err := base64.StdEncoding.DecodeString(src.FileBase64)
			if err != nil {
				invalid(w, "invalid parameter "+where+".source_info.file_base64: not standard base64")
				return
			}
			if src.FileType == "" {
				invalid(w, "invalid parameter "+where+".source_info.file_type: required with file_base64 (e.g. txt, pdf, png)")
				return
			}
			d.Type, d.Size = strings.ToLower(src.FileType), int64(len(raw))
			if ds.FormatType == formatText {
				d.Chars = utf8.RuneCount(raw)
			}
		case src.WebURL != "":
			if !strings.HasPrefix(src.WebURL, "http://") && !strings.HasPrefix(src.WebURL, "https://") {
				invalid(w, "invalid parameter "+where+".source_info.web_url: want an http or https URL")
				return
			}
			d.Type, d.SourceType, d.WebURL = "web", 1, src.WebURL
		case src.SourceFileID != "":
			f, ok := rs.files.get(src.SourceFileID)
			if !ok {
				invalid(w, "invalid parameter "+where+".source_info.source_file_id: no uploaded file has id "+strconv.Quote(clip(src.SourceFileID)))
				return
			}
			d.Type, d.Size = fileExt(f.Name), f.Bytes
		default:
			invalid(w, "invalid parameter "+where+".source_info: send file_base64 with file_type, web_url, or source_file_id")
			return
		}
		if base.UpdateRule != nil {
			d.UpdateType, d.UpdateInterval = base.UpdateRule.UpdateType, base.UpdateRule.UpdateInterval
		}
		docs = append(docs, d)
	}
	if rs.documents.len()+len(docs) > rs.documents.limit {
		invalid(w, "too many documents: the emulator holds at most "+strconv.Itoa(rs.documents.limit)+"; delete some first")
		return
	}
	out := make([]map[string]any, 0, len(docs))
	for _, d := range docs {
		rs.documents.add(d.ID, d, false)
		out = append(out, d.info())
	}
	ds.Updated = now
	writeFields(w, map[string]any{"document_infos": out})
}

// fileExt is the lower-case extension of name, "" if none.
func fileExt(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 && i < len(name)-1 {
		return strings.ToLower(name[i+1:])
	}
	return ""
}

// serveDocumentUpdate answers POST /open_api/knowledge/document/update
// {"document_id","document_name","update_rule"}.
func (s *Server) serveDocumentUpdate(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.enter(w, r, http.MethodPost); !ok {
		return
	}
	var b struct {
		DocumentID   string      `json:"document_id"`
		DocumentName *string     `json:"document_name"`
		UpdateRule   *updateRule `json:"update_rule"`
	}
	if !readJSON(w, r, &b) {
		return
	}
	switch {
	case b.DocumentID == "":
		invalid(w, "invalid parameter: document_id is required")
		return
	case b.DocumentName != nil && (*b.DocumentName == "" || utf8.RuneCountInString(*b.DocumentName) > 100):
		invalid(w, "invalid parameter document_name: 1 to 100 characters")
		return
	}
	d, ok := s.documentFor(w, r, b.DocumentID)
	if !ok {
		return
	}
	rs := s.res()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if b.DocumentName != nil {
		d.Name = *b.DocumentName
	}
	if b.UpdateRule != nil {
		d.UpdateType, d.UpdateInterval = b.UpdateRule.UpdateType, b.UpdateRule.UpdateInterval
	}
	d.Updated = s.unix()
	writeFields(w, map[string]any{})
}

// documentFor finds document id and checks the token may act on its
// knowledge base's workspace.
func (s *Server) documentFor(w http.ResponseWriter, r *http.Request, id string) (*document, bool) {
	rs := s.res()
	rs.mu.Lock()
	d, ok := rs.documents.get(id)
	var space string
	if ok {
		if ds, found := rs.datasets.get(d.DatasetID); found {
			space = ds.SpaceID
		}
	}
	rs.mu.Unlock()
	if !ok {
		resNotFound(w, "document", id)
		return nil, false
	}
	return d, s.allowWorkspace(w, r, space)
}

// serveDocumentDelete answers POST /open_api/knowledge/document/delete
// {"document_ids":[...]} (1 to 100 ids, all existing).
func (s *Server) serveDocumentDelete(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.enter(w, r, http.MethodPost); !ok {
		return
	}
	var b struct {
		DocumentIDs []string `json:"document_ids"`
	}
	if !readJSON(w, r, &b) {
		return
	}
	if len(b.DocumentIDs) == 0 || len(b.DocumentIDs) > 100 {
		invalid(w, "invalid parameter document_ids: send 1 to 100 document ids")
		return
	}
	for _, id := range b.DocumentIDs {
		if _, ok := s.documentFor(w, r, id); !ok {
			return
		}
	}
	rs := s.res()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for _, id := range b.DocumentIDs {
		rs.documents.del(id)
	}
	writeFields(w, map[string]any{})
}

// serveImages answers GET /v1/datasets/{id}/images?page_num=&page_size=
// (default 10, at most 299)&keyword=&has_caption= with the images of an
// image knowledge base: {"photo_infos":[...],"total_count":n}.
func (s *Server) serveImages(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.enter(w, r, http.MethodGet); !ok {
		return
	}
	q := r.URL.Query()
	num, size, problem := pageQuery(q, 10, 299, "page_num")
	if problem != "" {
		invalid(w, problem)
		return
	}
	hasCaption := q.Get("has_caption")
	if hasCaption != "" && hasCaption != "true" && hasCaption != "false" {
		invalid(w, "invalid parameter has_caption: want true or false")
		return
	}
	id := r.PathValue("dataset_id")
	space, ok := s.datasetSpace(w, id)
	if !ok || !s.allowWorkspace(w, r, space) {
		return
	}
	keyword := q.Get("keyword")
	rs := s.res()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if ds, ok := rs.datasets.get(id); !ok || ds.FormatType != formatImage {
		invalid(w, "knowledge base "+strconv.Quote(id)+" does not hold images: create one with format_type 2")
		return
	}
	all := rs.documents.values(func(d *document) bool {
		return d.DatasetID == id && strings.Contains(d.Caption, keyword) &&
			(hasCaption == "" || (d.Caption != "") == (hasCaption == "true"))
	})
	items, _ := page(all, num, size)
	out := make([]map[string]any, 0, len(items))
	for _, d := range items {
		out = append(out, map[string]any{
			"document_id": d.ID,
			"name":        d.Name,
			"url":         d.url(),
			"size":        d.Size,
			"type":        d.Type,
			"status":      1,
			"caption":     d.Caption,
			"creator_id":  d.Creator,
			"create_time": d.Created,
			"update_time": d.Updated,
			"source_type": d.SourceType,
		})
	}
	writeData(w, map[string]any{"photo_infos": out, "total_count": len(all)})
}

// serveImageUpdate answers PUT /v1/datasets/{id}/images/{document_id}
// {"caption":...}.
func (s *Server) serveImageUpdate(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.enter(w, r, http.MethodPut); !ok {
		return
	}
	var b struct {
		Caption *string `json:"caption"`
	}
	if !readJSON(w, r, &b) {
		return
	}
	if b.Caption == nil {
		invalid(w, "invalid parameter: caption is required")
		return
	}
	d, ok := s.documentFor(w, r, r.PathValue("document_id"))
	if !ok {
		return
	}
	rs := s.res()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if d.DatasetID != r.PathValue("dataset_id") {
		resNotFound(w, "image", d.ID)
		return
	}
	d.Caption, d.Updated = *b.Caption, s.unix()
	writeData(w, nil)
}
