// Command profserve is a profiling harness for the benchmark: the same
// wiring as `cozeauth serve --demo` (an in-process Coze emulator, the
// broker with a JWT source, the HTTP server), plus CPU and heap profiles
// and memory statistics, which cozeauth itself does not expose.
//
//	profserve -listen 127.0.0.1:8090 -cpuprofile cpu.out   # then run bench/load; Ctrl-C
//	profserve -prefill 100000 -memprofile heap.out -exit    # memory of 100k sessions
//
// On exit (SIGINT/SIGTERM, or -exit after -prefill) it stops the CPU
// profile, forces a GC, writes the heap profile and prints one JSON line of
// runtime.MemStats figures and VmRSS to stdout.
//
// It mirrors cmd/cozeauth/demo.go and wiring.go, which are package main and
// cannot be imported; keep it in step with them.
package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/emulator"
	"github.com/cozeauth/cozeauth/server"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "token server address (loopback)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile here, from start to exit")
	memprofile := flag.String("memprofile", "", "write a heap profile here at exit (after a GC)")
	prefill := flag.Int("prefill", 0, "mint this many distinct sessions through the broker at start")
	prefillC := flag.Int("prefill-c", 64, "concurrency of -prefill")
	exit := flag.Bool("exit", false, "exit after -prefill instead of serving")
	flag.Parse()

	host, _, err := net.SplitHostPort(*listen)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		log.Fatalf("profserve: -listen %q: use a loopback address", *listen)
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
	}

	emuBase, stopEmu := startEmulator()
	defer stopEmu()
	cfg := demoConfig(emuBase)
	b := newBroker(cfg)
	defer b.Close()

	base := memStats()
	if *prefill > 0 {
		start := time.Now()
		if err := fill(b, *prefill, *prefillC); err != nil {
			log.Fatalf("profserve: prefill: %v", err)
		}
		fmt.Fprintf(os.Stderr, "profserve: prefilled %d sessions in %v\n", *prefill, time.Since(start).Round(time.Millisecond))
	}
	if !*exit {
		serve(cfg, b, *listen)
	}

	if *cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	after := memStats()
	if *memprofile != "" {
		f, err := os.Create(*memprofile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			log.Fatal(err)
		}
		f.Close()
	}
	out, _ := json.Marshal(map[string]any{
		"sessions":         *prefill,
		"broker_entries":   b.Len(),
		"heap_live_mb":     mb(after.HeapAlloc),
		"heap_live_start":  mb(base.HeapAlloc),
		"heap_sys_mb":      mb(after.HeapSys),
		"heap_released_mb": mb(after.HeapReleased),
		"go_sys_mb":        mb(after.Sys),
		"gc_cycles":        after.NumGC,
		"rss_mb":           rssMB(),
	})
	fmt.Println(string(out))
}

// memStats forces a GC and returns the figures after it.
func memStats() runtime.MemStats {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m
}

func mb(b uint64) float64 { return float64(b*10/(1<<20)) / 10 }

func rssMB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return float64(int(kb*10/1024)) / 10
		}
	}
	return 0
}

const (
	demoClientID = "1170000000000"
	demoKeyID    = "demo-key-id"
)

var demoKey *rsa.PrivateKey

// startEmulator is cmd/cozeauth's startDemo, first half.
func startEmulator() (string, func()) {
	var err error
	demoKey, err = rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		log.Fatal(err)
	}
	emu := emulator.New(emulator.Options{Region: "cn", Audience: coze.RegionCN.Audience()})
	emu.AddApp(demoClientID)
	emu.AddKey(demoClientID, demoKeyID, &demoKey.PublicKey)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }
}

// demoConfig is cmd/cozeauth's startDemo, second half.
func demoConfig(base string) *config.Config {
	return &config.Config{
		Source:         "demo",
		Listen:         config.DefaultListen,
		DefaultSession: config.DefaultSession,
		DefaultApp:     "demo",
		Cache:          config.Cache{MaxEntries: config.DefaultMaxEntries, Skew: 30 * time.Second},
		Apps: []config.App{{
			Name: "demo", Kind: "jwt", Region: coze.RegionCN,
			ClientID: demoClientID, KeyID: demoKeyID, Key: demoKey, KeySource: "generated for the demo",
			APIBase: base, WWWBase: coze.RegionCN.WWWBase(), Audience: coze.RegionCN.Audience(),
			Duration: coze.DefaultDuration, AssertionTTL: coze.DefaultAssertionTTL,
		}},
	}
}

// newBroker is cmd/cozeauth's wiring.go.
func newBroker(cfg *config.Config) *broker.Broker {
	client := &coze.Client{UserAgent: "cozeauth/profserve"}
	sources := make(map[string]broker.Source, len(cfg.Apps))
	rates := map[string]broker.Rate{}
	for i := range cfg.Apps {
		a := &cfg.Apps[i]
		sources[a.Name] = &broker.JWTSource{Client: client, Signer: a.Signer(), TokenURL: a.TokenURL()}
		if !a.MintRate.Unlimited() {
			rates[a.Name] = broker.Rate{PerSecond: a.MintRate.PerSecond, Burst: a.MintRate.Burst}
		}
	}
	return broker.New(sources, broker.Options{MaxEntries: cfg.Cache.MaxEntries, Skew: cfg.Cache.Skew, MintRate: rates})
}

// fill mints n distinct sessions with c goroutines.
func fill(b *broker.Broker, n, c int) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for range c {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				_, _, err := b.Token(context.Background(), broker.Request{App: "demo", Session: "p-" + strconv.FormatInt(i, 10)})
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return err
	}
	return nil
}

// serve runs the token server until SIGINT or SIGTERM.
func serve(cfg *config.Config, b *broker.Broker, addr string) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	fmt.Fprintf(os.Stderr, "profserve: serving on http://%s\n", ln.Addr())
	srv, err := server.New(cfg, b, server.Options{Log: logger})
	if err != nil {
		log.Fatal(err)
	}
	if err := srv.Serve(ctx, ln, 2*time.Second); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Print(err)
	}
}
