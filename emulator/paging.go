package emulator

import (
	"net/url"
	"strconv"
)

// pageQuery reads a 1-based page number from the first of numKeys present
// in q (default 1) and a page size from "page_size" (default def, at most
// max). On a bad value it returns a message saying what to send.
func pageQuery(q url.Values, def, maxSize int, numKeys ...string) (num, size int, problem string) {
	num, size = 1, def
	for _, k := range numKeys {
		if v := q.Get(k); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return 0, 0, "invalid parameter " + k + ": want a whole number of at least 1, got " + strconv.Quote(clip(v))
			}
			num = n
			break
		}
	}
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxSize {
			return 0, 0, "invalid parameter page_size: want a whole number from 1 to " + strconv.Itoa(maxSize) + ", got " + strconv.Quote(clip(v))
		}
		size = n
	}
	return num, size, ""
}

// checkPage validates a page number and size sent in a JSON body, where 0
// means the default.
func checkPage(num, size, def, maxSize int, numKey string) (int, int, string) {
	if num == 0 {
		num = 1
	}
	if size == 0 {
		size = def
	}
	switch {
	case num < 1:
		return 0, 0, "invalid parameter " + numKey + ": want a whole number of at least 1"
	case size < 1 || size > maxSize:
		return 0, 0, "invalid parameter page_size: want a whole number from 1 to " + strconv.Itoa(maxSize)
	}
	return num, size, ""
}

// page returns the num-th page (1-based) of size items of all, and whether
// more items follow it.
func page[T any](all []T, num, size int) ([]T, bool) {
	if num-1 > len(all)/size {
		return []T{}, false
	}
	start := (num - 1) * size
	if start >= len(all) {
		return []T{}, false
	}
	end := min(start+size, len(all))
	return all[start:end], end < len(all)
}

// clip shortens a value quoted back in an error message.
func clip(v string) string {
	if len(v) > 40 {
		return v[:40] + "..."
	}
	return v
}
