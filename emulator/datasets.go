package emulator

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Dataset (knowledge base) format types.
const (
	formatText  = 0
	formatImage = 2
)

// dataset is an emulated knowledge base.
type dataset struct {
	ID          string
	SpaceID     string
	Name        string
	Description string
	IconFileID  string
	FormatType  int
	Created     int64
	Updated     int64
	Creator     string
}

// datasetBody is the body of create (POST /v1/datasets) and update (PUT
// /v1/datasets/{id}).
type datasetBody struct {
	Name        *string `json:"name"`
	SpaceID     string  `json:"space_id"`
	FormatType  *int    `json:"format_type"`
	Description string  `json:"description"`
	FileID      string  `json:"file_id"`
}

// check validates the fields create and update share.
func (rs *resources) checkDataset(b *datasetBody) string {
	switch {
	case b.Name == nil || *b.Name == "":
		return "invalid parameter: name is required (at most 100 characters)"
	case utf8.RuneCountInString(*b.Name) > 100:
		return "invalid parameter name: at most 100 characters"
	case utf8.RuneCountInString(b.Description) > 2000:
		return "invalid parameter description: at most 2000 characters"
	}
	if _, ok := rs.files.get(b.FileID); b.FileID != "" && !ok {
		return "invalid parameter file_id: no uploaded file has id " + strconv.Quote(clip(b.FileID)) + "; upload the icon with /v1/files/upload first"
	}
	return ""
}

// serveDatasets answers GET /v1/datasets (list) and POST /v1/datasets
// (create).
func (s *Server) serveDatasets(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		s.serveDatasetList(w, r)
	case http.MethodPost:
		s.serveDatasetCreate(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		writeAPIError(w, http.StatusMethodNotAllowed, codeInvalid, "method not allowed: use GET to list or POST to create")
	}
}

// serveDatasetCreate answers POST /v1/datasets {"name","space_id",
// "format_type" (0 text, 2 image),"description","file_id"} with
// {"dataset_id":...}.
func (s *Server) serveDatasetCreate(w http.ResponseWriter, r *http.Request) {
	userID, ok := s.authAPI(w, r, false)
	if !ok {
		return
	}
	var b datasetBody
	if !readJSON(w, r, &b) {
		return
	}
	switch {
	case b.SpaceID == "":
		invalid(w, "invalid parameter: space_id is required (see /v1/workspaces)")
		return
	case b.FormatType == nil:
		invalid(w, "invalid parameter: format_type is required (0 text, 2 image)")
		return
	case *b.FormatType != formatText && *b.FormatType != formatImage:
		invalid(w, "invalid parameter format_type: want 0 (text) or 2 (image)")
		return
	}
	if !s.allowWorkspace(w, r, b.SpaceID) {
		return
	}
	rs := s.res()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if problem := rs.checkDataset(&b); problem != "" {
		invalid(w, problem)
		return
	}
	if !rs.knownWorkspace(b.SpaceID) {
		resNotFound(w, "workspace", b.SpaceID)
		return
	}
	now := s.unix()
	d := &dataset{
		ID: newID(), SpaceID: b.SpaceID, Name: *b.Name, Description: b.Description, IconFileID: b.FileID,
		FormatType: *b.FormatType, Created: now, Updated: now, Creator: userID,
	}
	if !rs.datasets.add(d.ID, d, false) {
		invalid(w, "too many knowledge bases: the emulator holds at most "+strconv.Itoa(rs.datasets.limit)+"; delete some with DELETE /v1/datasets/{id}")
		return
	}
	writeData(w, map[string]string{"dataset_id": d.ID})
}

// serveDatasetList answers GET /v1/datasets?space_id=&name=&format_type=
// &page_num=&page_size= (default 10, at most 300) with
// {"dataset_list":[...],"total_count":n}, oldest first; name matches any
// part of a dataset's name, ignoring case.
func (s *Server) serveDatasetList(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authAPI(w, r, false); !ok {
		return
	}
	q := r.URL.Query()
	space := q.Get("space_id")
	if space == "" {
		invalid(w, "invalid parameter: space_id is required (see /v1/workspaces)")
		return
	}
	format := -1
	if v := q.Get("format_type"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || (n != formatText && n != formatImage) {
			invalid(w, "invalid parameter format_type: want 0 (text) or 2 (image)")
			return
		}
		format = n
	}
	num, size, problem := pageQuery(q, 10, 300, "page_num")
	if problem != "" {
		invalid(w, problem)
		return
	}
	if !s.allowWorkspace(w, r, space) {
		return
	}
	name := strings.ToLower(q.Get("name"))
	rs := s.res()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if !rs.knownWorkspace(space) {
		resNotFound(w, "workspace", space)
		return
	}
	all := rs.datasets.values(func(d *dataset) bool {
		return d.SpaceID == space && (format < 0 || d.FormatType == format) && strings.Contains(strings.ToLower(d.Name), name)
	})
	items, _ := page(all, num, size)
	out := make([]map[string]any, 0, len(items))
	for _, d := range items {
		out = append(out, rs.datasetJSON(d))
	}
	writeData(w, map[string]any{"dataset_list": out, "total_count": len(all)})
}

// datasetJSON is Coze's Dataset for d.
func (rs *resources) datasetJSON(d *dataset) map[string]any {
	docs := rs.documentsOf(d.ID)
	names := make([]string, 0, len(docs))
	var bytes int64
	for _, doc := range docs {
		names = append(names, doc.Name)
		bytes += doc.Size
	}
	bots := 0
	for _, b := range rs.bots.values(nil) {
		for _, id := range b.draft.DatasetIDs {
			if id == d.ID {
				bots++
				break
			}
		}
	}
	return map[string]any{
		"dataset_id":              d.ID,
		"name":                    d.Name,
		"description":             d.Description,
		"status":                  1,
		"can_edit":                true,
		"icon_uri":                d.IconFileID,
		"icon_url":                iconURL(d.IconFileID),
		"avatar_url":              "",
		"space_id":                d.SpaceID,
		"doc_count":               len(docs),
		"file_list":               names,
		"hit_count":               0,
		"creator_id":              d.Creator,
		"creator_name":            "emulated user",
		"create_time":             d.Created,
		"update_time":             d.Updated,
		"format_type":             d.FormatType,
		"slice_count":             len(docs),
		"all_file_size":           bytes,
		"bot_used_count":          bots,
		"chunk_strategy":          map[string]any{"chunk_type": 0},
		"failed_file_list":        []string{},
		"processing_file_list":    []string{},
		"processing_file_id_list": []string{},
	}
}

// documentsOf lists the documents of dataset id, oldest first.
func (rs *resources) documentsOf(id string) []*document {
	return rs.documents.values(func(doc *document) bool { return doc.DatasetID == id })
}

// datasetSpace answers the workspace of dataset id, or Coze's not-found
// error.
func (s *Server) datasetSpace(w http.ResponseWriter, id string) (string, bool) {
	rs := s.res()
	rs.mu.Lock()
	d, ok := rs.datasets.get(id)
	rs.mu.Unlock()
	if !ok {
		resNotFound(w, "knowledge base (dataset)", id)
		return "", false
	}
	return d.SpaceID, true
}

// serveDataset answers PUT /v1/datasets/{id} (update name, description and
// icon: every field is replaced) and DELETE /v1/datasets/{id} (delete it
// with its documents).
func (s *Server) serveDataset(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut && r.Method != http.MethodDelete {
		w.Header().Set("Allow", "PUT, DELETE")
		writeAPIError(w, http.StatusMethodNotAllowed, codeInvalid, "method not allowed: use PUT to update or DELETE to delete")
		return
	}
	if _, ok := s.authAPI(w, r, false); !ok {
		return
	}
	id := r.PathValue("dataset_id")
	var b datasetBody
	if r.Method == http.MethodPut && !readJSON(w, r, &b) {
		return
	}
	space, ok := s.datasetSpace(w, id)
	if !ok || !s.allowWorkspace(w, r, space) {
		return
	}
	rs := s.res()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	d, ok := rs.datasets.get(id)
	if !ok {
		resNotFound(w, "knowledge base (dataset)", id)
		return
	}
	if r.Method == http.MethodDelete {
		for _, doc := range rs.documentsOf(id) {
			rs.documents.del(doc.ID)
		}
		rs.datasets.del(id)
		writeData(w, nil)
		return
	}
	if problem := rs.checkDataset(&b); problem != "" {
		invalid(w, problem)
		return
	}
	d.Name, d.Description, d.IconFileID, d.Updated = *b.Name, b.Description, b.FileID, s.unix()
	writeData(w, nil)
}

// serveDatasetProcess answers POST /v1/datasets/{id}/process
// {"document_ids":[...]} with {"data":[progress of each document]}; every
// document has finished processing.
func (s *Server) serveDatasetProcess(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.enter(w, r, http.MethodPost); !ok {
		return
	}
	var b struct {
		DocumentIDs []string `json:"document_ids"`
	}
	if !readJSON(w, r, &b) {
		return
	}
	if len(b.DocumentIDs) == 0 {
		invalid(w, "invalid parameter: document_ids is required (ids from /open_api/knowledge/document/create)")
		return
	}
	id := r.PathValue("dataset_id")
	space, ok := s.datasetSpace(w, id)
	if !ok || !s.allowWorkspace(w, r, space) {
		return
	}
	rs := s.res()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	out := make([]map[string]any, 0, len(b.DocumentIDs))
	for _, docID := range b.DocumentIDs {
		doc, ok := rs.documents.get(docID)
		if !ok || doc.DatasetID != id {
			resNotFound(w, "document", docID)
			return
		}
		out = append(out, map[string]any{
			"document_id":     doc.ID,
			"document_name":   doc.Name,
			"url":             doc.url(),
			"size":            doc.Size,
			"type":            doc.Type,
			"status":          1,
			"progress":        100,
			"update_type":     doc.UpdateType,
			"update_interval": doc.UpdateInterval,
			"remaining_time":  0,
		})
	}
	writeData(w, map[string]any{"data": out})
}
