package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
)

// event is one server-sent event: its name ("message" when the stream
// gives none) and its data lines joined by "\n".
type event struct {
	name string
	data []byte
}

// sseReader reads events from a text/event-stream body, as the HTML
// spec's parser does for the fields Coze uses (event, data; comments and
// other fields are skipped). Event data is valid until the next call.
type sseReader struct {
	r    *bufio.Reader
	name []byte
	data []byte
	any  bool // a field was seen since the last dispatch
	more bool // a data line was seen since the last dispatch
}

func newSSEReader(r io.Reader) *sseReader {
	return &sseReader{r: bufio.NewReaderSize(r, 16<<10)}
}

var errLineTooLong = errors.New("SSE line longer than 16 KiB")

// next returns the next complete event. At the end of the body it
// returns io.EOF, or io.ErrUnexpectedEOF when an event was cut off.
func (s *sseReader) next() (event, error) {
	for {
		line, err := s.r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return event{}, errLineTooLong
		}
		if err != nil {
			if err == io.EOF && (len(line) > 0 || s.any) {
				return event{}, io.ErrUnexpectedEOF
			}
			return event{}, err
		}
		line = bytes.TrimSuffix(line[:len(line)-1], []byte{'\r'})
		if len(line) == 0 {
			if !s.any {
				continue
			}
			ev := event{name: "message", data: s.data}
			if len(s.name) > 0 {
				ev.name = string(s.name)
			}
			s.name, s.data, s.any, s.more = s.name[:0], s.data[:0], false, false
			return ev, nil
		}
		if line[0] == ':' {
			continue // comment
		}
		field, value, _ := bytes.Cut(line, []byte{':'})
		value = bytes.TrimPrefix(value, []byte{' '})
		switch string(field) {
		case "event":
			s.name = append(s.name[:0], value...)
			s.any = true
		case "data":
			if s.more {
				s.data = append(s.data, '\n')
			}
			s.data = append(s.data, value...)
			s.any, s.more = true, true
		}
	}
}

var sentKey = []byte(`"sent_ns":`)

// sentNs finds the "sent_ns":N number in an event's JSON data without
// decoding it all (bench/upstream writes it last, as an integer).
func sentNs(data []byte) (int64, bool) {
	i := bytes.LastIndex(data, sentKey)
	if i < 0 {
		return 0, false
	}
	rest := bytes.TrimLeft(data[i+len(sentKey):], " ")
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	n, err := strconv.ParseInt(string(rest[:j]), 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}
