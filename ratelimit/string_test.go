package ratelimit

import "testing"

func TestStringAsWritten(t *testing.T) {
	for in, want := range map[string]string{
		"10/m":          "10/m burst 1",
		"10/m burst 5":  "10/m burst 5",
		"1/s burst 5":   "1/s burst 5",
		"20/s":          "20/s burst 20",
		"1000/h":        "1000/h burst 1",
		"90/m burst 3":  "90/m burst 3", // 1.5/s: whole per minute
		"120/m burst 2": "2/s burst 2",  // the largest whole unit is the smallest one
		"0.5/s burst 1": "30/m burst 1",
		"7/h burst 2":   "7/h burst 2",
		"0.3/h burst 1": "8.333333333333333e-05/s burst 1",
		"":              "unlimited",
	} {
		r, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		got := r.String()
		if got != want {
			t.Errorf("Parse(%q).String() = %q, want %q", in, got, want)
		}
		if in == "" {
			continue
		}
		back, err := Parse(got)
		if err != nil || back.Burst != r.Burst || back.PerSecond/r.PerSecond-1 > 1e-12 || r.PerSecond/back.PerSecond-1 > 1e-12 {
			t.Errorf("%q does not read back: %+v vs %+v (%v)", got, back, r, err)
		}
	}
}
