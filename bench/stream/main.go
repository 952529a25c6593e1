package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cozeauth/cozeauth/bench/internal/header"
	"github.com/cozeauth/cozeauth/bench/internal/loopback"
)

// Hard limits, whatever the flags.
const (
	maxStreams = 10_000
	maxRamp    = time.Minute
	maxTimeout = 30 * time.Minute
	maxSize    = 16 << 30
)

type config struct {
	url      string
	upload   bool
	streams  int
	ramp     time.Duration
	timeout  time.Duration
	slow     time.Duration
	headers  header.List
	size     int64
	chunked  bool
	rssPid   int
	rssEvery time.Duration
}

func main() {
	var c config
	var size string
	flag.StringVar(&c.url, "url", "", "target URL; its host must be loopback (127.0.0.0/8, ::1 or localhost)")
	flag.BoolVar(&c.upload, "upload", false, "upload mode (default: chat mode)")
	flag.IntVar(&c.streams, "n", 100, "chat mode: streams")
	flag.DurationVar(&c.ramp, "ramp", time.Second, "chat mode: start the streams evenly over this time")
	flag.DurationVar(&c.slow, "slow", 5*time.Millisecond, "chat mode: count events delayed more than this")
	flag.DurationVar(&c.timeout, "timeout", 5*time.Minute, "per stream or upload, end to end")
	flag.Var(&c.headers, "header", "extra request header Key:Value (repeatable)")
	flag.StringVar(&size, "size", "1GiB", "upload mode: bytes of the file part (suffixes KiB, MiB, GiB, or none)")
	flag.BoolVar(&c.chunked, "chunked", false, "upload mode: send without Content-Length")
	flag.IntVar(&c.rssPid, "rss-pid", 0, "upload mode: sample this process's VmRSS during the upload")
	flag.DurationVar(&c.rssEvery, "rss-every", 100*time.Millisecond, "upload mode: RSS sampling interval")
	flag.Parse()

	var err error
	if c.size, err = parseSize(size); err == nil {
		err = c.check()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "stream:", err)
		os.Exit(2)
	}
	var res any
	if c.upload {
		res = runUpload(&c)
	} else {
		res = runChat(&c)
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}

func (c *config) check() error {
	if err := loopback.CheckFlag("-url", c.url); err != nil {
		return err
	}
	if c.timeout <= 0 || c.timeout > maxTimeout {
		return fmt.Errorf("-timeout must be in (0, %v]", maxTimeout)
	}
	if c.upload {
		if c.size < 0 || c.size > maxSize {
			return fmt.Errorf("-size must be in [0, %d]", int64(maxSize))
		}
		if c.rssPid < 0 || c.rssEvery < time.Millisecond || c.rssEvery > time.Minute {
			return errors.New("-rss-pid must be a pid and -rss-every in [1ms, 1m]")
		}
		return nil
	}
	if c.streams < 1 || c.streams > maxStreams {
		return fmt.Errorf("-n must be in [1, %d]", maxStreams)
	}
	if c.ramp < 0 || c.ramp > maxRamp {
		return fmt.Errorf("-ramp must be in [0, %v]", maxRamp)
	}
	if c.slow <= 0 {
		return errors.New("-slow must be positive")
	}
	return nil
}

// parseSize reads a byte count: a whole number, optionally followed by
// KiB, MiB, GiB (powers of 1024) or KB, MB, GB (powers of 1000).
func parseSize(s string) (int64, error) {
	mult := int64(1)
	num := strings.TrimSpace(s)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}} {
		if rest, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > maxSize/mult {
		return 0, fmt.Errorf("-size %q: use a whole number of bytes, KiB, MiB or GiB, at most 16GiB", s)
	}
	return n * mult, nil
}
