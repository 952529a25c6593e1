package logwriter

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"
)

// render writes one token-like line through the fast path and through
// slog itself, at the same time, and returns both (fast is "" when the
// fast path declined).
func render(t *testing.T, asJSON bool, at time.Time, client, session string, n int64, exp time.Time) (fast, want string) {
	t.Helper()
	var fb, sb bytes.Buffer
	fw, sw := New(&fb, Options{}), New(&sb, Options{})
	fh := NewHandler(fw, asJSON).WithAttrs([]slog.Attr{slog.String("log", "audit")}).(*Handler)
	sh := NewHandler(sw, asJSON).WithAttrs([]slog.Attr{slog.String("log", "audit")})
	if l := fh.LineAt(at, "token"); l != nil {
		l.Str("client", client).Str("session", session).Int("duration", n).Time("expires", exp)
		l.Write()
	}
	r := slog.NewRecord(at, slog.LevelInfo, "token", 0)
	r.AddAttrs(slog.String("client", client), slog.String("session", session), slog.Int64("duration", n), slog.Time("expires", exp))
	if err := sh.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	fw.Close()
	sw.Close()
	return fb.String(), sb.String()
}

// TestLineMatchesSlog: a line written by the fast path is byte for byte
// what slog's text and JSON handlers write, and a value slog would quote
// or escape makes the fast path decline.
func TestLineMatchesSlog(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 31, 32, 123456789, time.FixedZone("CST", 8*3600))
	exp := at.Add(15 * time.Minute)
	for _, asJSON := range []bool{false, true} {
		for _, c := range []struct {
			client, session string
			fast            bool
		}{
			{"alpha", "user-42", true},
			{"", "", true},
			{"alpha", "hmac:0123abcd", true},
			{"alpha", "has space", false},
			{"alpha", `quo"te`, false},
			{"alpha", "a=b", false},
			{"alpha", "中文", false},
			{"alpha", "tab\there", false},
		} {
			fast, want := render(t, asJSON, at, c.client, c.session, 900, exp)
			if c.fast && fast != want {
				t.Errorf("json=%v %q: fast path wrote\n%s\nslog writes\n%s", asJSON, c.session, fast, want)
			}
			if !c.fast && fast != "" {
				t.Errorf("json=%v %q: the fast path wrote %q instead of declining", asJSON, c.session, fast)
			}
		}
	}
}

// FuzzLine: for any values, the fast path writes exactly what slog
// writes, or declines.
func FuzzLine(f *testing.F) {
	f.Add(false, "alpha", "user-42", int64(900), int64(1796121237123456789))
	f.Add(true, "", "sk live", int64(-1), int64(0))
	f.Add(false, "c", "\xff", int64(0), int64(-62135596800000000))
	f.Fuzz(func(t *testing.T, asJSON bool, client, session string, n, nanos int64) {
		at := time.Unix(0, nanos).UTC()
		exp := at.Add(time.Duration(n) * time.Second)
		fast, want := render(t, asJSON, at, client, session, n, exp)
		if fast != "" && fast != want {
			t.Fatalf("fast path wrote\n%q\nslog writes\n%q", fast, want)
		}
	})
}

// TestHandlerFallsBack: With a group, or an attribute needing quotes,
// Line declines; the ordinary slog path still writes.
func TestHandlerFallsBack(t *testing.T) {
	var b bytes.Buffer
	w := New(&b, Options{})
	h := NewHandler(w, false)
	if h.WithGroup("g").(*Handler).Line("token") != nil {
		t.Error("a grouped handler took the fast path")
	}
	if h.WithAttrs([]slog.Attr{slog.String("log", "two words")}).(*Handler).Line("token") != nil {
		t.Error("a handler with a quoted attribute took the fast path")
	}
	slog.New(h).Info("x", "k", "v")
	w.Close()
	if !bytes.Contains(b.Bytes(), []byte("msg=x k=v")) {
		t.Fatalf("slog path: %q", b.String())
	}
}

// TestLineTimeCache: consecutive lines on one handler with different
// times, and the same time in another zone, are each stamped right.
func TestLineTimeCache(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		var fb, sb bytes.Buffer
		fw, sw := New(&fb, Options{}), New(&sb, Options{})
		fh, sh := NewHandler(fw, asJSON), NewHandler(sw, asJSON)
		base := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		before1970 := time.Date(1969, 12, 31, 23, 59, 59, 999_500_000, time.UTC)
		times := []time.Time{base, base, base.Add(999 * time.Microsecond), base.Add(time.Millisecond), base.In(time.FixedZone("X", 3600)),
			base.In(time.FixedZone("X", 7200)), base.Add(time.Hour), before1970, before1970.Add(300 * time.Microsecond), before1970.Add(time.Millisecond),
			time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC), time.Date(9999, 12, 31, 23, 58, 0, 0, time.FixedZone("E", -3600))}
		for _, at := range times {
			fh.LineAt(at, "token").Time("expires", at.Add(time.Minute)).Write()
			r := slog.NewRecord(at, slog.LevelInfo, "token", 0)
			r.AddAttrs(slog.Time("expires", at.Add(time.Minute)))
			sh.Handle(context.Background(), r)
		}
		fw.Close()
		sw.Close()
		if fb.String() != sb.String() {
			t.Errorf("json=%v: fast\n%s\nslog\n%s", asJSON, fb.String(), sb.String())
		}
	}
}

// Attributes rendered once (Mark, Since) and appended to later lines
// (Append) make the same lines as adding them each time; a value that
// needs slog's path renders nothing to reuse.
func TestLineAppendRendered(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		var a, b bytes.Buffer
		wa, wb := New(&a, Options{}), New(&b, Options{})
		ha, hb := NewHandler(wa, asJSON), NewHandler(wb, asJSON)
		at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		exp := at.Add(15 * time.Minute)
		first := ha.LineAt(at, "token")
		mark := first.Mark()
		first.Str("client", "alpha").Str("session", "").Int("duration", 900).Time("expires", exp)
		rendered := first.Since(mark)
		first.Write()
		for i := range 3 {
			ha.LineAt(at.Add(time.Duration(i)*time.Second), "token").Append(rendered).Write()
		}
		for i := -1; i < 3; i++ {
			hb.LineAt(at.Add(time.Duration(max(i, 0))*time.Second), "token").Str("client", "alpha").Str("session", "").Int("duration", 900).Time("expires", exp).Write()
		}
		wa.Close()
		wb.Close()
		if a.String() != b.String() {
			t.Errorf("json=%v: appended\n%s\nbuilt each time\n%s", asJSON, a.String(), b.String())
		}
		l := ha.LineAt(at, "token")
		if m := l.Mark(); l.Str("client", "needs quoting").Since(m) != nil {
			t.Errorf("json=%v: Since rendered a value the fast path cannot write", asJSON)
		}
	}
}
