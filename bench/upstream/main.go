package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cozeauth/cozeauth/bench/internal/loopback"
)

// Bounds on what one request may ask for.
const (
	maxEvents      = 100_000
	maxInterval    = 10 * time.Second
	maxStream      = 10 * time.Minute
	maxUploadBytes = 16 << 30
	defaultEvents  = 20
	defaultGap     = 50 * time.Millisecond
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "loopback address to listen on")
	tokenUp := flag.String("token-upstream", "", "base URL (loopback) that /api/permission/... is forwarded to: the Coze emulator")
	flag.Parse()
	if err := loopback.CheckListen(*listen); err != nil {
		log.Fatalf("upstream: -listen: %v", err)
	}
	var target *url.URL
	if *tokenUp != "" {
		if err := loopback.CheckURL(*tokenUp); err != nil {
			log.Fatalf("upstream: -token-upstream: %v", err)
		}
		target, _ = url.Parse(*tokenUp)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("upstream: %v", err)
	}
	srv := &http.Server{Handler: newServer(target), ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 120 * time.Second}
	fmt.Fprintf(os.Stderr, "upstream: serving on http://%s\n", ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("upstream: %v", err)
	}
}

// server holds the counters.
type server struct {
	mux          *http.ServeMux
	chats        atomic.Int64 // streams started
	chatsDone    atomic.Int64 // streams that sent every event
	active       atomic.Int64
	peakActive   atomic.Int64
	events       atomic.Int64
	uploads      atomic.Int64
	uploadBytes  atomic.Int64
	usersMe      atomic.Int64
	unauthorized atomic.Int64
}

func newServer(tokenTarget *url.URL) *server {
	s := &server{mux: http.NewServeMux()}
	s.mux.HandleFunc("POST /v3/chat", s.chat)
	s.mux.HandleFunc("POST /v1/files/upload", s.upload)
	s.mux.HandleFunc("GET /v1/users/me", s.usersMeHandler)
	s.mux.HandleFunc("GET /_bench/stats", s.stats)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	if tokenTarget != nil {
		s.mux.Handle("/api/permission/", &httputil.ReverseProxy{
			Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(tokenTarget) },
			Transport: loopback.Transport(256),
		})
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		apiError(w, http.StatusNotFound, 4000, "the requested API path does not exist")
	})
	return s
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Tt-Logid", "20260101000000BENCH"+strconv.FormatInt(time.Now().UnixNano()%1e9, 10))
	s.mux.ServeHTTP(w, r)
}

// apiError answers in Coze's OpenAPI error shape.
func apiError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"code":%d,"msg":%q}`+"\n", code, msg)
}

// authorized checks for the bearer token the gateway injects.
func (s *server) authorized(w http.ResponseWriter, r *http.Request) bool {
	if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer czs_") {
		return true
	}
	s.unauthorized.Add(1)
	apiError(w, http.StatusUnauthorized, 4100, "authentication is invalid")
	return false
}

// chatParams reads ?events=N&interval=D.
func chatParams(q url.Values) (events int, gap time.Duration, err error) {
	events, gap = defaultEvents, defaultGap
	if v := q.Get("events"); v != "" {
		if events, err = strconv.Atoi(v); err != nil || events < 1 || events > maxEvents {
			return 0, 0, fmt.Errorf("events=%q: use 1..%d", v, maxEvents)
		}
	}
	if v := q.Get("interval"); v != "" {
		if gap, err = time.ParseDuration(v); err != nil || gap < 0 || gap > maxInterval {
			return 0, 0, fmt.Errorf("interval=%q: use a duration in [0, %v]", v, maxInterval)
		}
	}
	if time.Duration(events)*gap > maxStream {
		return 0, 0, fmt.Errorf("events x interval over %v", maxStream)
	}
	return events, gap, nil
}

// appendEvent appends one SSE event in Coze's layout ("event:NAME\n
// data:JSON\n\n") whose JSON ends with "sent_ns":NOW.
func appendEvent(b []byte, name, fields string, now int64) []byte {
	b = append(b, "event:"...)
	b = append(b, name...)
	b = append(b, "\ndata:{"...)
	b = append(b, fields...)
	b = append(b, `,"sent_ns":`...)
	b = strconv.AppendInt(b, now, 10)
	return append(b, "}\n\n"...)
}

// chat streams a chat: created, in_progress, N message deltas, message
// completed, chat completed, done. It stops when the client leaves.
func (s *server) chat(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	events, gap, err := chatParams(r.URL.Query())
	if err != nil {
		apiError(w, http.StatusBadRequest, 4000, err.Error())
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	s.chats.Add(1)
	n := s.active.Add(1)
	defer s.active.Add(-1)
	for {
		p := s.peakActive.Load()
		if n <= p || s.peakActive.CompareAndSwap(p, n) {
			break
		}
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	buf := make([]byte, 0, 512)
	send := func(name, fields string) bool {
		buf = appendEvent(buf[:0], name, fields, time.Now().UnixNano())
		if _, err := w.Write(buf); err != nil {
			return false
		}
		s.events.Add(1)
		return rc.Flush() == nil
	}
	const chat = `"id":"chat_bench","conversation_id":"conv_bench","bot_id":"bench","status":`
	const msg = `"id":"msg_bench","conversation_id":"conv_bench","bot_id":"bench","role":"assistant","type":"answer","content_type":"text","chat_id":"chat_bench","content":`
	if !send("conversation.chat.created", chat+`"created"`) || !send("conversation.chat.in_progress", chat+`"in_progress"`) {
		return
	}
	var t *time.Ticker
	if gap > 0 {
		t = time.NewTicker(gap)
		defer t.Stop()
	}
	for i := range events {
		if t != nil {
			select {
			case <-t.C:
			case <-r.Context().Done():
				return
			}
		}
		if !send("conversation.message.delta", msg+`"word`+strconv.Itoa(i)+` ","seq":`+strconv.Itoa(i)) {
			return
		}
	}
	if !send("conversation.message.completed", msg+`"(bench reply)"`) || !send("conversation.chat.completed", chat+`"completed"`) {
		return
	}
	if _, err := io.WriteString(w, "event:done\ndata:\"[DONE]\"\n\n"); err == nil && rc.Flush() == nil {
		s.chatsDone.Add(1)
	}
}

// upload reads a multipart upload as a stream and discards it.
func (s *server) upload(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		apiError(w, http.StatusBadRequest, 4000, "invalid parameter: "+err.Error())
		return
	}
	var n int64
	name := ""
	buf := make([]byte, 64<<10)
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			apiError(w, http.StatusBadRequest, 4000, "reading the upload: "+err.Error())
			return
		}
		if p.FormName() != "file" {
			p.Close()
			continue
		}
		name = p.FileName()
		m, err := io.CopyBuffer(io.Discard, p, buf)
		n += m
		s.uploadBytes.Add(m)
		if err != nil {
			apiError(w, http.StatusBadRequest, 4000, "reading the upload: "+err.Error())
			return
		}
	}
	s.uploads.Add(1)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"code":0,"msg":"","data":{"id":"file_bench","bytes":%d,"file_name":%q,"created_at":%d}}`+"\n", n, name, time.Now().Unix())
}

// usersMeBody is Coze's GET /v1/users/me, answered with a fixed user.
var usersMeBody = []byte(`{"code":0,"msg":"","data":{"user_id":"7000000000000000001","user_name":"bench","nick_name":"bench","avatar_url":"https://example.invalid/a.png"}}` + "\n")

func (s *server) usersMeHandler(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	s.usersMe.Add(1)
	w.Header().Set("Content-Type", "application/json")
	w.Write(usersMeBody)
}

func (s *server) stats(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"chats":%d,"chats_done":%d,"active_chats":%d,"peak_active_chats":%d,"events":%d,"uploads":%d,"upload_bytes":%d,"users_me":%d,"unauthorized":%d}`+"\n",
		s.chats.Load(), s.chatsDone.Load(), s.active.Load(), s.peakActive.Load(), s.events.Load(), s.uploads.Load(), s.uploadBytes.Load(), s.usersMe.Load(), s.unauthorized.Load())
}
