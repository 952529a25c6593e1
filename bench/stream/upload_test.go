package main

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"testing"
)

func TestMultipartBody(t *testing.T) {
	for _, size := range []int64{0, 1, 64<<10 - 1, 64 << 10, 200_001} {
		body, n, ct := multipartBody(size)
		data, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(data)) != n {
			t.Fatalf("size %d: body is %d bytes, length said %d", size, len(data), n)
		}
		_, params, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Fatal(err)
		}
		mr := multipart.NewReader(bytes.NewReader(data), params["boundary"])
		p, err := mr.NextPart()
		if err != nil {
			t.Fatal(err)
		}
		if p.FormName() != "file" || p.FileName() != "bench.bin" {
			t.Fatalf("part %q %q", p.FormName(), p.FileName())
		}
		file, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(file)) != size {
			t.Fatalf("file part is %d bytes, want %d", len(file), size)
		}
		for off := 0; off < len(file); off += len(patternBlock) {
			end := min(off+len(patternBlock), len(file))
			if !bytes.Equal(file[off:end], patternBlock[:end-off]) {
				t.Fatalf("size %d: bytes at %d are not the pattern", size, off)
			}
		}
		if _, err := mr.NextPart(); err != io.EOF {
			t.Fatalf("after the file part: %v", err)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "1024": 1024, "1GiB": 1 << 30, "16 MiB": 16 << 20, "3KiB": 3 << 10,
		"2GB": 2e9, "5MB": 5e6, "7KB": 7000, "16GiB": 16 << 30,
	} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "1.5GiB", "17GiB", "1TiB", "GiB", "9223372036854775807GiB"} {
		if got, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", in, got)
		}
	}
}

func TestParseVmRSS(t *testing.T) {
	status := "Name:\tcozeauth\nVmPeak:\t 1300000 kB\nVmHWM:\t   77276 kB\nVmRSS:\t   12152 kB\nThreads:\t9\n"
	if got, err := parseVmRSS([]byte(status)); err != nil || got != 12152 {
		t.Fatalf("parseVmRSS = %d, %v; want 12152", got, err)
	}
	for _, bad := range []string{"Name:\tx\n", "VmRSS:\t12 MB\n", "VmRSS:\n"} {
		if got, err := parseVmRSS([]byte(bad)); err == nil {
			t.Errorf("parseVmRSS(%q) = %d, want an error", bad, got)
		}
	}
}
