package config

import "testing"

func TestParseSize(t *testing.T) {
	good := map[string]int64{"0": 0, "1024": 1024, "64KiB": 64 << 10, "128MiB": 128 << 20, "2 GiB": 2 << 30, "3MB": 3 << 20}
	for in, want := range good {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "-1MiB", "1.5MiB", "1TiB", "9999999999999GiB", "12 apples"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}
