package server

import (
	"net/http"
	"strconv"
)

// headerBytes is the size of r's request head as the client sent it: the
// request line and every header line (Host included), each with its
// CRLF, not the blank line that ends them. Header values are counted as
// net/http keeps them, without the spaces around them, so the count is
// exact for headers written "Name: value".
func headerBytes(r *http.Request) int {
	n := len(r.Method) + 1 + len(r.RequestURI) + 1 + len(r.Proto) + 2
	if r.Host != "" && r.ProtoMajor == 1 {
		n += len("Host: ") + len(r.Host) + 2
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + 2 + len(v) + 2
		}
	}
	return n
}

// headerTooLarge answers 431, as JSON, a request whose head is over
// MaxHeaderBytes, and reports whether it did. (net/http's own limit,
// MaxHeaderBytes plus 4 KiB of read-ahead, answers larger heads itself,
// in plain text, before any handler runs.)
func headerTooLarge(w http.ResponseWriter, r *http.Request) bool {
	if n := headerBytes(r); n > MaxHeaderBytes {
		w.Header().Set("Connection", "close")
		writeError(w, http.StatusRequestHeaderFieldsTooLarge, "headers_too_large",
			"the request line and headers take "+strconv.Itoa(n)+" bytes, over the limit of "+strconv.Itoa(MaxHeaderBytes)+
				" (16 KiB): send fewer or shorter headers (large cookies are the usual cause)", nil)
		return true
	}
	return false
}
