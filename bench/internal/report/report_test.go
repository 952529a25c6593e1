package report

import (
	"maps"
	"testing"
)

func TestStatusName(t *testing.T) {
	for k, want := range map[int]string{0: "transport_error", 200: "200", 503: "503"} {
		if got := StatusName(k); got != want {
			t.Errorf("StatusName(%d) = %q, want %q", k, got, want)
		}
	}
}

func TestStatuses(t *testing.T) {
	if got := Statuses(nil); got != nil {
		t.Errorf("Statuses(nil) = %v, want nil", got)
	}
	if got := Statuses(map[int]int{}); got != nil {
		t.Errorf("Statuses(empty) = %v, want nil", got)
	}
	got := Statuses(map[int]int{0: 2, 200: 5, 429: 1})
	want := map[string]int{"transport_error": 2, "200": 5, "429": 1}
	if !maps.Equal(got, want) {
		t.Errorf("Statuses = %v, want %v", got, want)
	}
}
