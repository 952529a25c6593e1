package emulator_test

import (
	"net/http"
	"testing"

	"github.com/cozeauth/cozeauth/emulator"
)

func TestFileRetrieve(t *testing.T) {
	f := newResFixture(t)
	body, ctype := multipartBody(t, formPart{"file", "notes.txt", []byte("twelve bytes")})
	up := f.upload(resAuth, ctype, body)
	ud := wantDataUpload(t, up)
	id, _ := ud["id"].(string)
	if !idRE.MatchString(id) {
		t.Fatalf("upload id %q", id)
	}
	d := wantData(t, f.apiGet("/v1/files/retrieve?file_id="+id))
	if d["id"] != id || d["file_name"] != "notes.txt" || num64(t, d["bytes"]) != 12 || num64(t, d["created_at"]) != t0.Unix() {
		t.Errorf("retrieve: %v", d)
	}
	if d["created_at"].(interface{ String() string }).String() != ud["created_at"].(interface{ String() string }).String() {
		t.Errorf("created_at differs from the upload's: %v vs %v", d, ud)
	}
	wantAPIError(t, f.apiGet("/v1/files/retrieve"), http.StatusOK, 4000)
	wantAPIError(t, f.apiGet("/v1/files/retrieve?file_id=7999"), http.StatusOK, 4200)
}

func wantDataUpload(t *testing.T, r response) map[string]any {
	t.Helper()
	if r.status != http.StatusOK || r.int("code") != 0 {
		t.Fatalf("upload: %d %s", r.status, r.raw)
	}
	return r.data()
}

// The emulator remembers a bounded number of uploads: past it the oldest is
// forgotten (retrieve answers 4200) and the newest stay retrievable.
func TestFileRetrieveBounded(t *testing.T) {
	f := newResFixture(t)
	emulator.SetResourceLimit(f.srv, 3)
	var ids []string
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		body, ctype := multipartBody(t, formPart{"file", name, []byte(name)})
		ids = append(ids, wantDataUpload(t, f.upload(resAuth, ctype, body))["id"].(string))
	}
	for i, id := range ids {
		r := f.apiGet("/v1/files/retrieve?file_id=" + id)
		if i < 2 {
			wantAPIError(t, r, http.StatusOK, 4200)
			continue
		}
		if d := wantData(t, r); d["file_name"] != []string{"a", "b", "c", "d", "e"}[i] {
			t.Errorf("file %d: %v", i, d)
		}
	}
	if n := emulator.ResourceCounts(f.srv)[1]; n != 3 {
		t.Errorf("%d files remembered, want 3", n)
	}
}
