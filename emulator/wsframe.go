package emulator

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"time"
	"unicode/utf8"
)

// WebSocket opcodes (RFC 6455 section 5.2).
const (
	wsContinuation = 0x0
	wsText         = 0x1
	wsBinary       = 0x2
	wsClose        = 0x8
	wsPing         = 0x9
	wsPong         = 0xA
)

// WebSocket close status codes the emulator sends.
const (
	wsNormal       = 1000
	wsProtocolErr  = 1002
	wsInvalidData  = 1007
	wsTooBig       = 1009
	wsMaxCtrlBytes = 125
)

// wsConn is the server side of an upgraded connection.
type wsConn struct {
	conn net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
}

// wsFrame is one decoded (unmasked) frame.
type wsFrame struct {
	fin     bool
	op      byte
	payload []byte
}

// wsFail is a protocol violation: the connection closes with code.
type wsFail struct {
	code int
	msg  string
}

func (e *wsFail) Error() string { return e.msg }

// echo reads messages until the peer closes or breaks the protocol, sending
// each text or binary message back, answering pings and closes. Fragmented
// messages are reassembled before being echoed.
func (c *wsConn) echo() {
	var (
		msgOp byte // opcode of the message being reassembled, 0 if none
		msg   []byte
	)
	for {
		_ = c.conn.SetReadDeadline(time.Now().Add(wsIdleTimeout))
		f, err := c.readFrame(MaxWSMessageBytes - len(msg))
		if err == nil {
			switch f.op {
			case wsPing:
				err = c.writeFrame(wsPong, f.payload)
			case wsPong:
			case wsClose:
				c.answerClose(f.payload)
				return
			case wsText, wsBinary:
				if msgOp != 0 {
					err = &wsFail{wsProtocolErr, "expected a continuation frame"}
				} else if f.fin {
					err = c.sendMessage(f.op, f.payload)
				} else {
					msgOp, msg = f.op, f.payload
				}
			case wsContinuation:
				if msgOp == 0 {
					err = &wsFail{wsProtocolErr, "unexpected continuation frame"}
					break
				}
				msg = append(msg, f.payload...)
				if f.fin {
					err = c.sendMessage(msgOp, msg)
					msgOp, msg = 0, nil
				}
			default:
				err = &wsFail{wsProtocolErr, "unknown opcode"}
			}
		}
		if err != nil {
			if fail, ok := errors.AsType[*wsFail](err); ok {
				_ = c.writeFrame(wsClose, closePayload(fail.code, fail.msg))
			}
			return
		}
	}
}

// sendMessage echoes a complete message, checking text is UTF-8.
func (c *wsConn) sendMessage(op byte, payload []byte) error {
	if op == wsText && !utf8.Valid(payload) {
		return &wsFail{wsInvalidData, "text message is not UTF-8"}
	}
	return c.writeFrame(op, payload)
}

// answerClose replies to the peer's close frame, echoing its status code.
func (c *wsConn) answerClose(p []byte) {
	switch {
	case len(p) == 0:
		_ = c.writeFrame(wsClose, nil)
	case len(p) == 1 || !validCloseCode(int(binary.BigEndian.Uint16(p))):
		_ = c.writeFrame(wsClose, closePayload(wsProtocolErr, "invalid close frame"))
	case !utf8.Valid(p[2:]):
		_ = c.writeFrame(wsClose, closePayload(wsInvalidData, "close reason is not UTF-8"))
	default:
		_ = c.writeFrame(wsClose, p[:2])
	}
}

// validCloseCode reports whether a peer may send code (RFC 6455 section 7.4).
func validCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	default:
		return code >= 3000 && code <= 4999
	}
}

func closePayload(code int, reason string) []byte {
	p := binary.BigEndian.AppendUint16(nil, uint16(code))
	return append(p, reason...)
}

// readFrame reads one client frame; a data frame's payload may be at most
// limit bytes (control frames, at most 125, do not count).
func (c *wsConn) readFrame(limit int) (wsFrame, error) {
	var h [2]byte
	if _, err := io.ReadFull(c.br, h[:]); err != nil {
		return wsFrame{}, err
	}
	f := wsFrame{fin: h[0]&0x80 != 0, op: h[0] & 0x0F}
	masked, n := h[1]&0x80 != 0, uint64(h[1]&0x7F)
	switch {
	case h[0]&0x70 != 0:
		return f, &wsFail{wsProtocolErr, "reserved bits set"}
	case !masked:
		return f, &wsFail{wsProtocolErr, "client frames must be masked"}
	case f.op >= wsClose && (!f.fin || n > wsMaxCtrlBytes):
		return f, &wsFail{wsProtocolErr, "invalid control frame"}
	}
	var ext [8]byte
	switch n {
	case 126:
		if _, err := io.ReadFull(c.br, ext[:2]); err != nil {
			return f, err
		}
		n = uint64(binary.BigEndian.Uint16(ext[:2]))
	case 127:
		if _, err := io.ReadFull(c.br, ext[:]); err != nil {
			return f, err
		}
		n = binary.BigEndian.Uint64(ext[:])
	}
	if f.op < wsClose && n > uint64(max(limit, 0)) { // control frames are not part of the message
		return f, &wsFail{wsTooBig, "message too big"}
	}
	var mask [4]byte
	if _, err := io.ReadFull(c.br, mask[:]); err != nil {
		return f, err
	}
	f.payload = make([]byte, n)
	if _, err := io.ReadFull(c.br, f.payload); err != nil {
		return f, err
	}
	for i := range f.payload {
		f.payload[i] ^= mask[i%4]
	}
	return f, nil
}

// writeFrame sends one unmasked, final frame.
func (c *wsConn) writeFrame(op byte, payload []byte) error {
	hdr := []byte{0x80 | op, 0}
	switch n := len(payload); {
	case n <= 125:
		hdr[1] = byte(n)
	case n <= 0xFFFF:
		hdr[1] = 126
		hdr = binary.BigEndian.AppendUint16(hdr, uint16(n))
	default:
		hdr[1] = 127
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	_ = c.conn.SetWriteDeadline(time.Now().Add(wsIdleTimeout))
	if _, err := c.bw.Write(hdr); err != nil {
		return err
	}
	if _, err := c.bw.Write(payload); err != nil {
		return err
	}
	return c.bw.Flush()
}
