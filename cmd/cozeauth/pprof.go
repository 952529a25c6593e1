package main

import (
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// startPprof serves Go's profiler on a separate, loopback-only listener.
func startPprof(addr string, log *slog.Logger) error {
	if !loopbackOnly(addr) {
		return &flagError{"--pprof must be a loopback address such as 127.0.0.1:6060: profiles reveal memory contents"}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	log.Info("profiler", "addr", "http://"+ln.Addr().String()+"/debug/pprof/")
	go (&http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}).Serve(ln)
	return nil
}

type flagError struct{ msg string }

func (e *flagError) Error() string { return e.msg }
