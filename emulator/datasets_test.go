package emulator_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/emulator"
)

func datasetIDs(t *testing.T, f *fixture, query string) (string, int64) {
	t.Helper()
	d := wantData(t, f.apiGet("/v1/datasets?space_id="+emulator.SeedWorkspaceID+query))
	var ids []string
	for _, ds := range list(t, d, "dataset_list") {
		ids = append(ids, ds["dataset_id"].(string))
	}
	return strings.Join(ids, ","), num64(t, d["total_count"])
}

func TestDatasetLifecycle(t *testing.T) {
	f := newResFixture(t)
	if ids, n := datasetIDs(t, f, ""); ids != emulator.SeedDatasetID || n != 1 {
		t.Fatalf("seeded: %s %d", ids, n)
	}
	create := func(name string, format int) string {
		d := wantData(t, f.send("POST", "/v1/datasets", fmt.Sprintf(`{"name":%q,"space_id":%q,"format_type":%d,"description":"d"}`, name, emulator.SeedWorkspaceID, format)))
		id, _ := d["dataset_id"].(string)
		if !idRE.MatchString(id) {
			t.Fatalf("dataset_id %q", id)
		}
		return id
	}
	text, img := create("Manuals", 0), create("Photos", 2)
	if ids, n := datasetIDs(t, f, "&name=man"); ids != text || n != 1 {
		t.Errorf("name filter: %s", ids)
	}
	if ids, _ := datasetIDs(t, f, "&format_type=2"); ids != img {
		t.Errorf("format filter: %s", ids)
	}
	if ids, n := datasetIDs(t, f, "&page_num=2&page_size=2"); ids != img || n != 3 {
		t.Errorf("page 2: %s %d", ids, n)
	}
	if ids, _ := datasetIDs(t, f, "&page_num=3&page_size=2"); ids != "" {
		t.Errorf("past the end: %s", ids)
	}
	d := wantData(t, f.apiGet("/v1/datasets?space_id="+emulator.SeedWorkspaceID+"&name=Manuals"))
	ds := list(t, d, "dataset_list")[0]
	for _, k := range []string{"name", "status", "can_edit", "icon_uri", "icon_url", "space_id", "doc_count", "file_list", "hit_count", "avatar_url", "creator_id", "create_time", "description", "format_type", "slice_count", "update_time", "creator_name", "all_file_size", "bot_used_count", "chunk_strategy", "failed_file_list", "processing_file_list", "processing_file_id_list"} {
		if _, ok := ds[k]; !ok {
			t.Errorf("Dataset lacks %s", k)
		}
	}
	if ds["creator_id"] != resUser || num64(t, ds["doc_count"]) != 0 {
		t.Errorf("dataset: %v", ds)
	}

	// Update replaces every field.
	wantSuccess(t, f.send("PUT", "/v1/datasets/"+text, `{"name":"Guides"}`))
	d = wantData(t, f.apiGet("/v1/datasets?space_id="+emulator.SeedWorkspaceID+"&name=guides"))
	if ds := list(t, d, "dataset_list"); len(ds) != 1 || ds[0]["description"] != "" {
		t.Errorf("after update: %v", d)
	}

	// Documents: create, list with pages, update, process, delete.
	b64 := base64.StdEncoding.EncodeToString([]byte("héllo"))
	r := f.send("POST", "/open_api/knowledge/document/create", `{"dataset_id":"`+text+`","document_bases":[{"name":"a.txt","source_info":{"file_base64":"`+b64+`","file_type":"txt"}},{"name":"site","source_info":{"web_url":"https://example.com/"},"update_rule":{"update_type":1,"update_interval":24}}],"chunk_strategy":{"chunk_type":0}}`)
	wantSuccess(t, r)
	docs := list(t, r.body, "document_infos")
	if len(docs) != 2 || num64(t, docs[0]["size"]) != 6 || num64(t, docs[0]["char_count"]) != 5 || docs[0]["type"] != "txt" || docs[1]["type"] != "web" || num64(t, docs[1]["update_interval"]) != 24 {
		t.Fatalf("created: %v", docs)
	}
	for _, k := range []string{"chunk_strategy", "create_time", "document_id", "format_type", "hit_count", "name", "slice_count", "status", "update_time", "update_type", "tos_uri"} {
		if _, ok := docs[0][k]; !ok {
			t.Errorf("DocumentInfo lacks %s", k)
		}
	}
	a, site := docs[0]["document_id"].(string), docs[1]["document_id"].(string)
	r = f.send("POST", "/open_api/knowledge/document/list", `{"dataset_id":"`+text+`","page":2,"page_size":1}`)
	wantSuccess(t, r)
	if l := list(t, r.body, "document_infos"); len(l) != 1 || l[0]["document_id"] != site || r.int("total") != 2 {
		t.Errorf("list page 2: %s", r.raw)
	}
	r = f.apiGet("/open_api/knowledge/document/list?dataset_id=" + text + "&page=1&page_size=10") // the deprecated GET form
	wantSuccess(t, r)
	if l := list(t, r.body, "document_infos"); len(l) != 2 {
		t.Errorf("GET list: %s", r.raw)
	}
	wantSuccess(t, f.send("POST", "/open_api/knowledge/document/update", `{"document_id":"`+a+`","document_name":"b.txt"}`))
	r = f.send("POST", "/open_api/knowledge/document/list", `{"dataset_id":"`+text+`"}`)
	if l := list(t, r.body, "document_infos"); l[0]["name"] != "b.txt" {
		t.Errorf("renamed: %s", r.raw)
	}
	d = wantData(t, f.send("POST", "/v1/datasets/"+text+"/process", `{"document_ids":["`+a+`","`+site+`"]}`))
	if p := list(t, d, "data"); len(p) != 2 || num64(t, p[0]["progress"]) != 100 || p[0]["document_name"] != "b.txt" {
		t.Errorf("process: %v", d)
	}
	d = wantData(t, f.apiGet("/v1/datasets?space_id="+emulator.SeedWorkspaceID+"&name=guides"))
	if ds := list(t, d, "dataset_list")[0]; num64(t, ds["doc_count"]) != 2 || num64(t, ds["all_file_size"]) != 6 {
		t.Errorf("counts: %v", ds)
	}
	wantSuccess(t, f.send("POST", "/open_api/knowledge/document/delete", `{"document_ids":["`+site+`"]}`))
	r = f.send("POST", "/open_api/knowledge/document/list", `{"dataset_id":"`+text+`"}`)
	if r.int("total") != 1 {
		t.Errorf("after delete: %s", r.raw)
	}

	// Images: only in an image knowledge base; captions filter.
	up, ctype := multipartBody(t, formPart{"file", "cat.PNG", []byte("png bytes")})
	fileID := wantDataUpload(t, f.upload(resAuth, ctype, up))["id"].(string)
	r = f.send("POST", "/open_api/knowledge/document/create", `{"dataset_id":"`+img+`","document_bases":[{"name":"cat","source_info":{"source_file_id":"`+fileID+`","document_source":5}},{"name":"dog","source_info":{"file_base64":"`+b64+`","file_type":"jpg"}}]}`)
	wantSuccess(t, r)
	imgs := list(t, r.body, "document_infos")
	if imgs[0]["type"] != "png" || num64(t, imgs[0]["size"]) != 9 {
		t.Errorf("image from an upload: %v", imgs[0])
	}
	cat := imgs[0]["document_id"].(string)
	wantSuccess(t, f.send("PUT", "/v1/datasets/"+img+"/images/"+cat, `{"caption":"a black cat"}`))
	d = wantData(t, f.apiGet("/v1/datasets/"+img+"/images?has_caption=true"))
	if p := list(t, d, "photo_infos"); len(p) != 1 || p[0]["caption"] != "a black cat" || num64(t, d["total_count"]) != 1 {
		t.Errorf("captioned: %v", d)
	}
	d = wantData(t, f.apiGet("/v1/datasets/"+img+"/images?has_caption=false"))
	if p := list(t, d, "photo_infos"); len(p) != 1 || p[0]["name"] != "dog" {
		t.Errorf("uncaptioned: %v", d)
	}
	d = wantData(t, f.apiGet("/v1/datasets/"+img+"/images?keyword=black&page_num=1&page_size=1"))
	if p := list(t, d, "photo_infos"); len(p) != 1 {
		t.Errorf("keyword: %v", d)
	}
	for _, k := range []string{"url", "name", "size", "type", "status", "caption", "creator_id", "create_time", "document_id", "source_type", "update_time"} {
		if _, ok := list(t, d, "photo_infos")[0][k]; !ok {
			t.Errorf("ImageInfo lacks %s", k)
		}
	}

	// Delete takes the documents along.
	before := emulator.ResourceCounts(f.srv)[5]
	wantSuccess(t, f.send("DELETE", "/v1/datasets/"+img, ``))
	if after := emulator.ResourceCounts(f.srv)[5]; after != before-2 {
		t.Errorf("documents %d -> %d, want the 2 images gone", before, after)
	}
	if ids, _ := datasetIDs(t, f, ""); ids != emulator.SeedDatasetID+","+text {
		t.Errorf("after delete: %s", ids)
	}
	wantAPIError(t, f.apiGet("/v1/datasets/"+img+"/images"), http.StatusOK, 4200)
	wantAPIError(t, f.send("DELETE", "/v1/datasets/"+img, ``), http.StatusOK, 4200)
}

func TestDatasetErrors(t *testing.T) {
	f := newResFixture(t)
	ws, ds := emulator.SeedWorkspaceID, emulator.SeedDatasetID
	before := emulator.ResourceCounts(f.srv)
	for _, c := range []struct {
		method, path, body string
		code               int64
		want               string
	}{
		{"POST", "/v1/datasets", `{"space_id":"` + ws + `","format_type":0}`, 4000, "name is required"},
		{"POST", "/v1/datasets", `{"name":"x","format_type":0}`, 4000, "space_id"},
		{"POST", "/v1/datasets", `{"name":"x","space_id":"` + ws + `"}`, 4000, "format_type is required"},
		{"POST", "/v1/datasets", `{"name":"x","space_id":"` + ws + `","format_type":1}`, 4000, "format_type"},
		{"POST", "/v1/datasets", `{"name":"` + strings.Repeat("n", 101) + `","space_id":"` + ws + `","format_type":0}`, 4000, "100"},
		{"POST", "/v1/datasets", `{"name":"x","space_id":"` + ws + `","format_type":0,"file_id":"7999"}`, 4000, "file_id"},
		{"POST", "/v1/datasets", `{"name":"x","space_id":"7999","format_type":0}`, 4200, "workspace"},
		{"GET", "/v1/datasets", ``, 4000, "space_id"},
		{"GET", "/v1/datasets?space_id=7999", ``, 4200, "workspace"},
		{"GET", "/v1/datasets?space_id=" + ws + "&format_type=x", ``, 4000, "format_type"},
		{"GET", "/v1/datasets?space_id=" + ws + "&page_size=301", ``, 4000, "page_size"},
		{"PUT", "/v1/datasets/" + ds, `{"description":"x"}`, 4000, "name is required"},
		{"PUT", "/v1/datasets/7999", `{"name":"x"}`, 4200, "7999"},
		{"POST", "/v1/datasets/" + ds + "/process", `{}`, 4000, "document_ids"},
		{"POST", "/v1/datasets/" + ds + "/process", `{"document_ids":["7999"]}`, 4200, "7999"},
		{"POST", "/v1/datasets/7999/process", `{"document_ids":["1"]}`, 4200, "7999"},
		{"GET", "/v1/datasets/" + ds + "/images", ``, 4000, "format_type 2"},
		{"GET", "/v1/datasets/" + ds + "/images?has_caption=1", ``, 4000, "has_caption"},
		{"GET", "/v1/datasets/" + ds + "/images?page_size=300", ``, 4000, "page_size"},
		{"PUT", "/v1/datasets/" + ds + "/images/" + emulator.SeedDocumentID, `{}`, 4000, "caption"},
		{"PUT", "/v1/datasets/" + ds + "/images/7999", `{"caption":"x"}`, 4200, "7999"},
		{"PUT", "/v1/datasets/7998/images/" + emulator.SeedDocumentID, `{"caption":"x"}`, 4200, "image"},
		{"POST", "/open_api/knowledge/document/list", `{}`, 4000, "dataset_id"},
		{"POST", "/open_api/knowledge/document/list", `{"dataset_id":"7999"}`, 4200, "7999"},
		{"POST", "/open_api/knowledge/document/list", `{"dataset_id":"` + ds + `","page":-1}`, 4000, "page"},
		{"POST", "/open_api/knowledge/document/list", `{"dataset_id":"` + ds + `","page_size":201}`, 4000, "page_size"},
		{"GET", "/open_api/knowledge/document/list?dataset_id=" + ds + "&page=0", ``, 4000, "page"},
		{"POST", "/open_api/knowledge/document/create", `{"document_bases":[]}`, 4000, "dataset_id"},
		{"POST", "/open_api/knowledge/document/create", `{"dataset_id":"` + ds + `"}`, 4000, "1 to 10"},
		{"POST", "/open_api/knowledge/document/create", `{"dataset_id":"` + ds + `","document_bases":[` + strings.Repeat(`{"name":"a","source_info":{"web_url":"https://x"}},`, 10) + `{"name":"a","source_info":{"web_url":"https://x"}}]}`, 4000, "1 to 10"},
		{"POST", "/open_api/knowledge/document/create", `{"dataset_id":"7999","document_bases":[{"name":"a","source_info":{"web_url":"https://x"}}]}`, 4200, "7999"},
		{"POST", "/open_api/knowledge/document/create", `{"dataset_id":"` + ds + `","document_bases":[{"source_info":{"web_url":"https://x"}}]}`, 4000, "document_bases[0].name"},
		{"POST", "/open_api/knowledge/document/create", `{"dataset_id":"` + ds + `","document_bases":[{"name":"a","source_info":{}}]}`, 4000, "source_info"},
		{"POST", "/open_api/knowledge/document/create", `{"dataset_id":"` + ds + `","document_bases":[{"name":"a","source_info":{"web_url":"https://x"}},{"name":"a","source_info":{"file_base64":"%%%","file_type":"txt"}}]}`, 4000, "document_bases[1].source_info.file_base64"},
		{"POST", "/open_api/knowledge/document/create", `{"dataset_id":"` + ds + `","document_bases":[{"name":"a","source_info":{"file_base64":"eA=="}}]}`, 4000, "file_type"},
		{"POST", "/open_api/knowledge/document/create", `{"dataset_id":"` + ds + `","document_bases":[{"name":"a","source_info":{"web_url":"ftp://x"}}]}`, 4000, "web_url"},
		{"POST", "/open_api/knowledge/document/create", `{"dataset_id":"` + ds + `","document_bases":[{"name":"a","source_info":{"source_file_id":"7999"}}]}`, 4000, "source_file_id"},
		{"POST", "/open_api/knowledge/document/update", `{}`, 4000, "document_id"},
		{"POST", "/open_api/knowledge/document/update", `{"document_id":"` + emulator.SeedDocumentID + `","document_name":""}`, 4000, "document_name"},
		{"POST", "/open_api/knowledge/document/update", `{"document_id":"7999"}`, 4200, "7999"},
		{"POST", "/open_api/knowledge/document/delete", `{"document_ids":[]}`, 4000, "document_ids"},
		{"POST", "/open_api/knowledge/document/delete", `{"document_ids":["` + emulator.SeedDocumentID + `","7999"]}`, 4200, "7999"},
	} {
		r := f.send(c.method, c.path, c.body)
		if msg := wantAPIError(t, r, http.StatusOK, c.code); !strings.Contains(msg, c.want) {
			t.Errorf("%s %s %.60s: msg %q, want it to mention %q", c.method, c.path, c.body, msg, c.want)
		}
	}
	if after := emulator.ResourceCounts(f.srv); after != before {
		t.Errorf("refused requests changed the state: %v -> %v", before, after)
	}
	r := f.send("POST", "/open_api/knowledge/document/list", `{"dataset_id":"`+ds+`"}`)
	if l := list(t, r.body, "document_infos"); len(l) != 1 || l[0]["name"] != "faq.txt" {
		t.Errorf("the seeded document changed: %s", r.raw)
	}
}

// Datasets and documents are bounded: past the bound creation answers
// Coze's error; deleting makes room again.
func TestDatasetsBounded(t *testing.T) {
	f := newResFixture(t)
	emulator.SetResourceLimit(f.srv, 2)
	body := `{"name":"x","space_id":"` + emulator.SeedWorkspaceID + `","format_type":0}`
	id := wantData(t, f.send("POST", "/v1/datasets", body))["dataset_id"].(string)
	if msg := wantAPIError(t, f.send("POST", "/v1/datasets", body), http.StatusOK, 4000); !strings.Contains(msg, "too many") {
		t.Errorf("msg %q", msg)
	}
	doc := `{"dataset_id":"` + id + `","document_bases":[{"name":"a","source_info":{"web_url":"https://x"}}]}`
	r := f.send("POST", "/open_api/knowledge/document/create", doc)
	wantSuccess(t, r)
	if msg := wantAPIError(t, f.send("POST", "/open_api/knowledge/document/create", doc), http.StatusOK, 4000); !strings.Contains(msg, "too many documents") {
		t.Errorf("msg %q", msg)
	}
	// Many deletions and creations keep the state at its bound.
	for range 200 {
		wantSuccess(t, f.send("DELETE", "/v1/datasets/"+id, ``))
		id = wantData(t, f.send("POST", "/v1/datasets", body))["dataset_id"].(string)
	}
	if ids, _ := datasetIDs(t, f, ""); ids != emulator.SeedDatasetID+","+id {
		t.Errorf("datasets: %s", ids)
	}
	if c := emulator.ResourceCounts(f.srv); c[4] != 2 {
		t.Errorf("%d datasets, want 2", c[4])
	}
}

func TestVoicesList(t *testing.T) {
	f := newResFixture(t)
	d := wantData(t, f.apiGet("/v1/audio/voices"))
	all := list(t, d, "voice_list")
	if len(all) != 6 || d["has_more"] != false || all[0]["voice_id"] != emulator.SeedVoiceID {
		t.Fatalf("voices: %v", d)
	}
	for _, k := range []string{"is_system_voice", "language_name", "preview_text", "create_time", "update_time", "name", "language_code", "voice_id", "available_training_times", "preview_audio"} {
		if _, ok := all[0][k]; !ok {
			t.Errorf("Voice lacks %s", k)
		}
	}
	d = wantData(t, f.apiGet("/v1/audio/voices?page_num=2&page_size=4"))
	if v := list(t, d, "voice_list"); len(v) != 2 || d["has_more"] != false {
		t.Errorf("last page: %v", d)
	}
	d = wantData(t, f.apiGet("/v1/audio/voices?page_num=1&page_size=5"))
	if v := list(t, d, "voice_list"); len(v) != 5 || d["has_more"] != true {
		t.Errorf("first page: %v", d)
	}
	d = wantData(t, f.apiGet("/v1/audio/voices?filter_system_voice=true"))
	if v := list(t, d, "voice_list"); len(v) != 1 || v[0]["is_system_voice"] != false {
		t.Errorf("filtered: %v", d)
	}
	d = wantData(t, f.apiGet("/v1/audio/voices?model_type=small"))
	if v := list(t, d, "voice_list"); len(v) != 3 {
		t.Errorf("small: %v", d)
	}
	for _, q := range []string{"page_size=101", "page_num=0", "filter_system_voice=yes", "model_type=huge"} {
		wantAPIError(t, f.apiGet("/v1/audio/voices?"+q), http.StatusOK, 4000)
	}
}
