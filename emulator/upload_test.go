package emulator_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/emulator"
)

// formPart is one part of a multipart/form-data body; a non-empty filename
// makes it a file part.
type formPart struct {
	field, filename string
	content         []byte
}

// multipartBody encodes parts and returns the body and its Content-Type.
func multipartBody(t *testing.T, parts ...formPart) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		var w io.Writer
		var err error
		if p.filename != "" {
			w, err = mw.CreateFormFile(p.field, p.filename)
		} else {
			w, err = mw.CreateFormField(p.field)
		}
		if err == nil {
			_, err = w.Write(p.content)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String(), mw.FormDataContentType()
}

// randomBytes returns n deterministic pseudo-random bytes.
func randomBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed)})
	_, _ = r.Read(b)
	return b
}

func sha256hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// upload posts a multipart body to /v1/files/upload.
func (f *fixture) upload(auth, ctype, body string) response {
	f.t.Helper()
	return f.do(context.Background(), http.MethodPost, "/v1/files/upload", ctype, auth, body)
}

// wantUpload checks a successful upload answer and LastUpload against the
// file the test sent.
func wantUpload(t *testing.T, f *fixture, r response, name string, content []byte) {
	t.Helper()
	if r.status != http.StatusOK || r.int("code") != 0 {
		t.Fatalf("upload: %d %s", r.status, r.raw)
	}
	d := r.data()
	id, _ := d["id"].(string)
	if !idRE.MatchString(id) || d["file_name"] != name || d["bytes"] != num(len(content)) || d["created_at"] != num(int(t0.Unix())) {
		t.Errorf("upload answer %s", r.raw)
	}
	gotName, gotSize, gotSum := f.srv.LastUpload()
	if gotName != name || gotSize != int64(len(content)) || gotSum != sha256hex(content) {
		t.Errorf("LastUpload = %q %d %s, want %q %d %s", gotName, gotSize, gotSum, name, len(content), sha256hex(content))
	}
}

// TestUpload checks the file part is hashed exactly and the other parts,
// before and after it, are skipped.
func TestUpload(t *testing.T) {
	f := newFixture(t, nil)
	auth := "Bearer " + f.accessToken()
	if name, size, sum := f.srv.LastUpload(); name != "" || size != 0 || sum != "" {
		t.Fatalf("LastUpload before any upload: %q %d %q", name, size, sum)
	}

	// Content that looks like multipart framing must survive intact.
	file := append([]byte("\r\n--not-the-boundary\r\n"), randomBytes(1, 300<<10)...)
	body, ctype := multipartBody(t,
		formPart{field: "purpose", content: []byte("assistants")},
		formPart{field: "attachment", filename: "decoy.bin", content: randomBytes(2, 70<<10)},
		formPart{field: "file", filename: "report.bin", content: file},
		formPart{field: "trailer", filename: "after.bin", content: []byte("after")},
	)
	wantUpload(t, f, f.upload(auth, ctype, body), "report.bin", file)

	// An empty file is still a file; a PAT works too.
	f.srv.AddPAT("pat_up", "user-up")
	body, ctype = multipartBody(t, formPart{field: "file", filename: "empty.txt"})
	wantUpload(t, f, f.upload("Bearer pat_up", ctype, body), "empty.txt", nil)
	if _, _, sum := f.srv.LastUpload(); sum != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("SHA-256 of nothing = %s", sum)
	}
	if n := f.srv.APICalls(); n != 2 {
		t.Errorf("APICalls = %d after two uploads", n)
	}
}

// TestUploadRejects checks bad uploads get Coze's errors and leave
// LastUpload alone.
func TestUploadRejects(t *testing.T) {
	f := newFixture(t, nil)
	auth := "Bearer " + f.accessToken()
	good, goodType := multipartBody(t, formPart{field: "file", filename: "a.txt", content: []byte("hello")})
	noFile, noFileType := multipartBody(t,
		formPart{field: "purpose", content: []byte("x")},
		formPart{field: "files", filename: "a.txt", content: []byte("hello")}, // wrong field name
	)

	for _, auth := range []string{"", "Bearer nope", "Bearer " + f.assertion1(nil)} {
		wantAPIError(t, f.upload(auth, goodType, good), http.StatusUnauthorized, 4100)
	}
	r := f.do(context.Background(), http.MethodGet, "/v1/files/upload", "", auth, "")
	wantAPIError(t, r, http.StatusMethodNotAllowed, 4000)

	for _, c := range []struct{ name, ctype, body, msgHas string }{
		{"not multipart", "application/json", `{"file":"aGVsbG8="}`, "multipart"},
		{"no content type", "", good, "multipart"},
		{"missing file part", noFileType, noFile, "missing file part"},
		{"no parts", goodType, strings.SplitN(good, "\r\n", 2)[0] + "--\r\n", "missing file part"},
		{"no boundary", goodType, "garbage without any boundary", ""},
		{"malformed", goodType, strings.SplitN(good, "\r\n", 2)[0] + "\r\nnot a header line\r\n\r\nx\r\n", "malformed"},
		{"truncated file", goodType, good[:len(good)-20], "file part"},
	} {
		msg := wantAPIError(t, f.upload(auth, c.ctype, c.body), http.StatusOK, 4000)
		if !strings.Contains(msg, c.msgHas) {
			t.Errorf("%s: msg %q, want it to mention %q", c.name, msg, c.msgHas)
		}
	}
	if name, size, sum := f.srv.LastUpload(); name != "" || size != 0 || sum != "" {
		t.Errorf("LastUpload after failures only: %q %d %q", name, size, sum)
	}
}

// TestUploadLimit checks a file one byte over the limit is refused and one
// at the limit is accepted.
func TestUploadLimit(t *testing.T) {
	if emulator.MaxUploadBytes != 512<<20 {
		t.Errorf("MaxUploadBytes = %d, want Coze's 512 MB", emulator.MaxUploadBytes)
	}
	const limit = 4096
	f := newFixture(t, nil)
	emulator.SetMaxUpload(f.srv, limit)
	auth := "Bearer " + f.accessToken()

	over := randomBytes(3, limit+1)
	body, ctype := multipartBody(t, formPart{field: "file", filename: "big.bin", content: over})
	if msg := wantAPIError(t, f.upload(auth, ctype, body), http.StatusOK, 4000); !strings.Contains(msg, "too large") {
		t.Errorf("over the limit: msg %q", msg)
	}
	if name, _, _ := f.srv.LastUpload(); name != "" {
		t.Errorf("a refused file was recorded as %q", name)
	}
	at := over[:limit]
	body, ctype = multipartBody(t, formPart{field: "file", filename: "fits.bin", content: at})
	wantUpload(t, f, f.upload(auth, ctype, body), "fits.bin", at)
}

// TestUploadStreamed sends 20 MB through an io.Pipe, so with no
// Content-Length (chunked), and checks the hash and that the emulator did
// not hold the file in memory.
func TestUploadStreamed(t *testing.T) {
	const size = 20 << 20
	f := newFixture(t, nil)
	auth := "Bearer " + f.accessToken()

	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	sum := make(chan string, 1)
	go func() {
		h := sha256.New()
		err := func() error {
			if err := mw.WriteField("purpose", "assistants"); err != nil {
				return err
			}
			w, err := mw.CreateFormFile("file", "stream.bin")
			if err != nil {
				return err
			}
			src := rand.NewChaCha8([32]byte{4})
			chunk := make([]byte, 64<<10)
			for n := 0; n < size; n += len(chunk) {
				_, _ = src.Read(chunk)
				h.Write(chunk)
				if _, err := w.Write(chunk); err != nil {
					return err
				}
			}
			return mw.Close()
		}()
		sum <- hex.EncodeToString(h.Sum(nil))
		pw.CloseWithError(err)
	}()

	req, err := http.NewRequest(http.MethodPost, f.hs.URL+"/v1/files/upload", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = -1 // unknown: sent chunked
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", auth)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r := f.doReq(req)
	runtime.ReadMemStats(&after)

	if r.status != http.StatusOK || r.int("code") != 0 || r.data()["bytes"] != num(size) {
		t.Fatalf("streamed upload: %d %s", r.status, r.raw)
	}
	want := <-sum
	if name, n, got := f.srv.LastUpload(); name != "stream.bin" || n != size || got != want {
		t.Errorf("LastUpload = %q %d %s, want stream.bin %d %s", name, n, got, size, want)
	}
	// Client and server together allocate far less than the file: the
	// emulator streamed it through the hash.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > size/4 {
		t.Errorf("uploading %d bytes allocated %d bytes: the file was buffered", size, alloc)
	}
}

// num is how the fixture's decoder (UseNumber) sees an integer.
func num(n int) json.Number { return json.Number(fmt.Sprint(n)) }
