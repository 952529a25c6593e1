package ratelimit

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]Rate{
		"":                {},
		"  ":              {},
		"10/s":            {PerSecond: 10, Burst: 10},
		" 10/s ":          {PerSecond: 10, Burst: 10},
		"0.5/s":           {PerSecond: 0.5, Burst: 1},
		"60/m":            {PerSecond: 1, Burst: 1},
		"600/m":           {PerSecond: 10, Burst: 10},
		"3600/h":          {PerSecond: 1, Burst: 1},
		"1000/h":          {PerSecond: 1000.0 / 3600, Burst: 1},
		"5/s burst 20":    {PerSecond: 5, Burst: 20},
		"600/m  burst  1": {PerSecond: 10, Burst: 1},
		"1e3/s":           {PerSecond: 1000, Burst: 1000},
		"1000000000/s":    {PerSecond: 1e9, Burst: 1e9},
	} {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for bad, wantMsg := range map[string]string{
		"x":                              "is not a rate",
		"10":                             "is not a rate",
		"0/s":                            "not a positive number",
		"-1/s":                           "not a positive number",
		"+1/s":                           "not a positive number",
		"/s":                             "not a positive number",
		"NaN/s":                          "not a positive number",
		"Inf/s":                          "not a positive number",
		"0x10p0/s":                       "not a positive number",
		"1_000/s":                        "not a positive number",
		"1e400/s":                        "not a positive number",
		"1e-400/s":                       "not a positive number",
		"1000000001/s":                   "more than 1000000000",
		"5/d":                            "the unit must be s, m or h",
		"5/":                             "the unit must be s, m or h",
		"5/s burst":                      "is not a rate",
		"5/s burst 0":                    "burst must be a whole number from 1 to",
		"5/s burst -3":                   "burst must be a whole number from 1 to",
		"5/s burst 2.5":                  "burst must be a whole number from 1 to",
		"5/s burst 1000000001":           "burst must be a whole number from 1 to",
		"5/s burst 99999999999999999999": "burst must be a whole number from 1 to",
		"5/s rate 3":                     "is not a rate",
		"5/s burst 3 extra":              "is not a rate",
	} {
		r, err := Parse(bad)
		if err == nil {
			t.Errorf("Parse(%q) = %+v, accepted", bad, r)
			continue
		}
		if !strings.Contains(err.Error(), wantMsg) || !strings.Contains(err.Error(), bad) {
			t.Errorf("Parse(%q): %q; want it to quote the input and say %q", bad, err, wantMsg)
		}
		if r != (Rate{}) {
			t.Errorf("Parse(%q) failed but returned %+v", bad, r)
		}
	}
}
