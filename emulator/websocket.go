package emulator

import (
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// wsGUID is RFC 6455's handshake constant.
const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// MaxWSMessageBytes bounds a WebSocket message the echo endpoint accepts; a
// larger one closes the connection with status 1009.
const MaxWSMessageBytes = 16 << 20

// wsIdleTimeout closes a WebSocket that has been silent this long, or whose
// peer stops reading our frames.
const wsIdleTimeout = 5 * time.Minute

// wsAccept computes Sec-WebSocket-Accept for a Sec-WebSocket-Key.
func wsAccept(key string) string {
	sum := sha1.Sum([]byte(key + wsGUID))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// serveWebSocket answers GET /v1/chat: after checking the bearer credential
// (header, or ?authorization=Bearer%20<x>) it performs the RFC 6455 server
// handshake by hand and echoes every message back.
func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodGet) {
		return
	}
	if _, ok := s.authAPI(w, r, true); !ok {
		return
	}
	if !r.ProtoAtLeast(1, 1) || !hasToken(r.Header, "Connection", "upgrade") || !hasToken(r.Header, "Upgrade", "websocket") {
		w.Header().Set("Upgrade", "websocket")
		writeAPIError(w, http.StatusUpgradeRequired, 4000, "this endpoint needs a WebSocket upgrade")
		return
	}
	if r.Header.Get("Sec-WebSocket-Version") != "13" {
		w.Header().Set("Sec-WebSocket-Version", "13")
		writeAPIError(w, http.StatusUpgradeRequired, 4000, "unsupported WebSocket version: use 13")
		return
	}
	key := strings.TrimSpace(r.Header.Get("Sec-WebSocket-Key"))
	if raw, err := base64.StdEncoding.DecodeString(key); err != nil || len(raw) != 16 {
		writeAPIError(w, http.StatusBadRequest, 4000, "invalid Sec-WebSocket-Key")
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		writeAPIError(w, http.StatusInternalServerError, 5000, "cannot upgrade this connection (WebSocket needs HTTP/1.1)")
		return
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(wsIdleTimeout))
	h := w.Header()
	_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + wsAccept(key) + "\r\n" +
		"X-Tt-Logid: " + h.Get("X-Tt-Logid") + "\r\n" +
		"Date: " + h.Get("Date") + "\r\n\r\n")
	if brw.Flush() != nil {
		return
	}
	ws := &wsConn{conn: conn, br: brw.Reader, bw: brw.Writer}
	ws.echo()
}

// hasToken reports whether the comma-separated header name lists token
// (case-insensitively).
func hasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
