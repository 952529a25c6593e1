package ratelimit

import (
	"math"
	"strconv"
	"testing"
	"time"
)

// FuzzParse: rates come from config files and environment variables.
// Whatever the text, Parse returns an error or a Rate a Limiter can run
// on (finite, positive, burst 1..MaxCount) that reads back the same.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "10/s", "600/m burst 20", "1000/h", "0.5/s", "1e3/s", "NaN/s", "Inf/h", "5/s burst 0", "0x1p4/s", "1e-300/h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			if r != (Rate{}) {
				t.Fatalf("Parse(%q) failed (%v) but returned %+v", s, err, r)
			}
			return
		}
		if r == (Rate{}) {
			return // no limit
		}
		if !(r.PerSecond > 0) || math.IsInf(r.PerSecond, 0) || r.PerSecond > MaxCount || r.Burst < 1 || r.Burst > MaxCount || r.Unlimited() {
			t.Fatalf("Parse(%q) = %+v", s, r)
		}
		back, err := Parse(strconv.FormatFloat(r.PerSecond, 'g', -1, 64) + "/s burst " + strconv.Itoa(r.Burst))
		if err != nil || back != r {
			t.Fatalf("Parse(%q) = %+v, which reads back as %+v, %v", s, r, back, err)
		}
		if d := r.durationOf(1); d <= 0 {
			t.Fatalf("Parse(%q) = %+v: one token takes %v", s, r, d)
		}
		l := NewWithClock(r, 16, func() time.Time { return time.Unix(0, 0) })
		if ok, _ := l.Allow("k"); !ok {
			t.Fatalf("Parse(%q) = %+v: a fresh bucket refused", s, r)
		}
	})
}
