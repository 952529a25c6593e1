package term

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestColorWanted(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want bool
	}{
		{nil, true},
		{map[string]string{"NO_COLOR": "1"}, false},
		{map[string]string{"NO_COLOR": ""}, true},
		{map[string]string{"TERM": "dumb"}, false},
		{map[string]string{"TERM": "xterm-256color"}, true},
	}
	for _, tt := range tests {
		if got := ColorWanted(env(tt.env)); got != tt.want {
			t.Errorf("ColorWanted(%v) = %v, want %v", tt.env, got, tt.want)
		}
	}
}

func TestNotATerminal(t *testing.T) {
	var b bytes.Buffer
	if IsTerminal(&b) || For(&b, env(nil)).On() {
		t.Error("a buffer is not a terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Error("a regular file is not a terminal")
	}
	if IsTerminal((*os.File)(nil)) {
		t.Error("nil file")
	}
}

func TestPalette(t *testing.T) {
	if got := NewPalette(false).Red("x"); got != "x" {
		t.Errorf("off palette painted: %q", got)
	}
	if got := NewPalette(true).Red("x"); got != "\x1b[31mx\x1b[0m" {
		t.Errorf("Red = %q", got)
	}
}

type syncBuf struct {
	ch chan string
}

func (s *syncBuf) Write(p []byte) (int, error) { s.ch <- string(p); return len(p), nil }

func TestSpinner(t *testing.T) {
	if s := StartSpinner(nil, false, "x"); s != nil {
		t.Fatal("disabled spinner is not nil")
	}
	(*Spinner)(nil).Stop() // safe
	out := &syncBuf{ch: make(chan string, 100)}
	s := StartSpinner(out, true, "checking")
	first := <-out.ch
	s.Stop()
	s.Stop()
	close(out.ch)
	var last string
	for w := range out.ch {
		last = w
	}
	if !strings.Contains(first, "checking…") || last != "\r\x1b[K" {
		t.Errorf("first %q, last %q", first, last)
	}
}
