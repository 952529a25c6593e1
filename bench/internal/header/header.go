package header

import (
	"fmt"
	"net/http"
	"strings"
)

// Max is the most headers a List holds.
const Max = 32

// List is a flag.Value: each -header "Key: value" adds one header.
type List [][2]string

func (l *List) String() string {
	var parts []string
	for _, x := range *l {
		parts = append(parts, x[0]+": "+x[1])
	}
	return strings.Join(parts, ", ")
}

// Set parses "Key: value" (or "Key:value") and adds it.
func (l *List) Set(s string) error {
	k, v, ok := strings.Cut(s, ":")
	k, v = strings.TrimSpace(k), strings.TrimSpace(v)
	if !ok || k == "" {
		return fmt.Errorf("header %q: use Key:Value", s)
	}
	for _, r := range k {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", r) {
			return fmt.Errorf("header %q: bad character %q in the name", s, r)
		}
	}
	if strings.ContainsAny(v, "\r\n\x00") {
		return fmt.Errorf("header %q: control character in the value", k)
	}
	if len(*l) >= Max {
		return fmt.Errorf("at most %d headers", Max)
	}
	*l = append(*l, [2]string{http.CanonicalHeaderKey(k), v})
	return nil
}

// Apply sets the headers on req, replacing any of the same name.
func (l List) Apply(req *http.Request) {
	for _, x := range l {
		req.Header[x[0]] = []string{x[1]}
	}
}
