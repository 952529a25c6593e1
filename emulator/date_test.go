package emulator_test

import (
	"net/http"
	"testing"
	"time"
)

// TestDateFollowsClock checks the Date header comes from Options.Now, so a
// client can measure clock skew against the emulator.
func TestDateFollowsClock(t *testing.T) {
	f := newFixture(t, nil)
	f.clk.Add(10 * time.Minute)
	r := f.do(t.Context(), http.MethodGet, "/v1/users/me", "", "", "")
	got, err := http.ParseTime(r.header.Get("Date"))
	if err != nil {
		t.Fatalf("Date %q: %v", r.header.Get("Date"), err)
	}
	if want := t0.Add(10 * time.Minute); !got.Equal(want) {
		t.Errorf("Date = %v, want the emulator's clock %v", got, want)
	}
}
