package emulator_test

import (
	"testing"
	"time"
)

func TestPATExpiry(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.AddPATUntil("pat_short", "u-short", t0.Add(time.Hour))
	f.srv.AddPAT("pat_forever", "u-forever")
	f.wantMe("pat_short", "u-short")
	f.clk.Add(time.Hour - time.Second)
	f.wantMe("pat_short", "u-short")
	f.clk.Add(time.Second)
	f.wantMeRejected("Bearer pat_short")
	f.clk.Add(1000 * 24 * time.Hour)
	f.wantMe("pat_forever", "u-forever")
	f.wantMeRejected("Bearer pat_unknown")
}
