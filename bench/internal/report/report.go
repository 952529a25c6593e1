package report

import "strconv"

// TransportError is the status name of requests that got no HTTP answer
// (status 0).
const TransportError = "transport_error"

// StatusName is the JSON key of HTTP status k: its number, or
// TransportError for 0.
func StatusName(k int) string {
	if k == 0 {
		return TransportError
	}
	return strconv.Itoa(k)
}

// Statuses turns counts by HTTP status into counts by StatusName; nil
// when there are none.
func Statuses(counts map[int]int) map[string]int {
	if len(counts) == 0 {
		return nil
	}
	m := make(map[string]int, len(counts))
	for k, v := range counts {
		m[StatusName(k)] = v
	}
	return m
}
