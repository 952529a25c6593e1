package header

import (
	"net/http"
	"testing"
)

func TestSet(t *testing.T) {
	for in, want := range map[string][2]string{
		"X-API-Key: cza_abc":         {"X-Api-Key", "cza_abc"},
		"authorization:Bearer czs_1": {"Authorization", "Bearer czs_1"},
		" X-User-ID :  bench  ":      {"X-User-Id", "bench"},
		"X-Empty:":                   {"X-Empty", ""},
		"X-Colon: a:b:c":             {"X-Colon", "a:b:c"},
	} {
		var l List
		if err := l.Set(in); err != nil || len(l) != 1 || l[0] != want {
			t.Errorf("Set(%q) = %v, %v; want %v", in, l, err, want)
		}
	}
	for _, in := range []string{"no colon", ": value", "Bad Name: x", "X-A: b\r\nX-B: c", "X(: y"} {
		var l List
		if err := l.Set(in); err == nil {
			t.Errorf("Set(%q) accepted", in)
		}
	}
	var l List
	for range Max {
		if err := l.Set("X-A: 1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Set("X-A: 1"); err == nil {
		t.Fatal("more than Max accepted")
	}
}

func TestApply(t *testing.T) {
	var l List
	_ = l.Set("X-User-ID: a")
	_ = l.Set("X-User-ID: b")
	req, _ := http.NewRequest("GET", "http://127.0.0.1/", nil)
	req.Header.Set("X-User-Id", "old")
	l.Apply(req)
	if got := req.Header.Values("X-User-ID"); len(got) != 1 || got[0] != "b" {
		t.Fatalf("X-User-ID = %q, want [b]", got)
	}
	if l.String() != "X-User-Id: a, X-User-Id: b" {
		t.Fatalf("String() = %q", l.String())
	}
}
