package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"
)

// body mimics {"access_token":"czs_...","expires_in":N,"token_type":"Bearer"}.
var body = []byte(`{"access_token":"czs_eyJjaWQiOiIxMTcwMDAwMDAwMDAwIiwic24iOiJob3QiLCJleHAiOjE3OTU0MjczMjcsIm4iOiJkZDAyNDBlMGIyY2I4YmZkIn0.IiRXlnnuTy8yfN79pzSsoyRJqMDHU3KkGjRktT2AjII","expires_in":1795427327,"token_type":"Bearer"}` + "\n")

var (
	jsonCT  = []string{"application/json"}
	noStore = []string{"no-store"}
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8081", "address to listen on")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile here, from start to SIGINT/SIGTERM")
	flag.Parse()

	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatalf("hello: %v", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatalf("hello: %v", err)
		}
		defer pprof.StopCPUProfile()
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("hello: %v", err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd["Content-Type"] = jsonCT
		hd["Cache-Control"] = noStore
		_, _ = w.Write(body)
	})
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	fmt.Fprintf(os.Stderr, "hello: serving on http://%s (%d-byte body)\n", ln.Addr(), len(body))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			log.Fatalf("hello: %v", err)
		}
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}
}
