package main

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func readAll(t *testing.T, body string) ([]event, error) {
	t.Helper()
	// One byte per read: events split across reads must still parse.
	sr := newSSEReader(iotest.OneByteReader(strings.NewReader(body)))
	var evs []event
	for {
		ev, err := sr.next()
		if err != nil {
			return evs, err
		}
		evs = append(evs, event{ev.name, []byte(string(ev.data))})
	}
}

func TestSSEReader(t *testing.T) {
	body := ": comment\n" +
		"event:conversation.message.delta\ndata:{\"a\":1,\"sent_ns\":42}\n\n" +
		"event: spaced\r\ndata: x\r\ndata:\r\ndata:y\r\n\r\n" +
		"\n\n" + // blank lines between events dispatch nothing
		"data:only data\nid:7\nretry:10\n\n" +
		"event:done\ndata:\"[DONE]\"\n\n"
	evs, err := readAll(t, body)
	if err != io.EOF {
		t.Fatalf("end: %v, want io.EOF", err)
	}
	want := []event{
		{"conversation.message.delta", []byte(`{"a":1,"sent_ns":42}`)},
		{"spaced", []byte("x\n\ny")},
		{"message", []byte("only data")},
		{"done", []byte(`"[DONE]"`)},
	}
	if len(evs) != len(want) {
		t.Fatalf("got %d events %q, want %d", len(evs), evs, len(want))
	}
	for i := range want {
		if evs[i].name != want[i].name || string(evs[i].data) != string(want[i].data) {
			t.Errorf("event %d = %q %q, want %q %q", i, evs[i].name, evs[i].data, want[i].name, want[i].data)
		}
	}
}

func TestSSEReaderCutOff(t *testing.T) {
	for _, body := range []string{"event:x\ndata:1\n", "event:x\ndata:1", "data:1\n\ndata:2"} {
		if _, err := readAll(t, body); err != io.ErrUnexpectedEOF {
			t.Errorf("%q: %v, want io.ErrUnexpectedEOF", body, err)
		}
	}
	if _, err := readAll(t, "data:"+strings.Repeat("x", 20<<10)+"\n\n"); !errors.Is(err, errLineTooLong) {
		t.Errorf("long line: %v", err)
	}
}

func TestSentNs(t *testing.T) {
	for in, want := range map[string]int64{
		`{"id":"x","sent_ns":1767225600123456789}`: 1767225600123456789,
		`{"sent_ns": 5}`: 5,
		`{"content":"\"sent_ns\":1","sent_ns":2}`:       2,
		`{"sent_ns":12,"seq":3}`:                        12,
		`{"content":"quoted \"sent_ns\":9","seq":3}`:    -1, // escaped inside a string
		`{"id":"x","sent_ns":123456789012345678901234}`: -1,
	} {
		got, ok := sentNs([]byte(in))
		if want < 0 {
			if ok {
				t.Errorf("sentNs(%s) = %d, want none", in, got)
			}
			continue
		}
		if !ok || got != want {
			t.Errorf("sentNs(%s) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{`{}`, `"[DONE]"`, `{"sent_ns":}`, `{"sent_ns":"1"}`} {
		if n, ok := sentNs([]byte(in)); ok {
			t.Errorf("sentNs(%s) = %d, want none", in, n)
		}
	}
}
