package hist

import (
	"math"
	"math/bits"
	"time"
)

const (
	subBits    = 8
	subCount   = 1 << subBits
	halfCount  = subCount / 2
	maxExp     = 40 // 2^40 ns is 18 minutes: longer values are clamped
	numBuckets = subCount + (maxExp-subBits+1)*halfCount
)

// Histogram records durations. The zero value is ready to use; it is not
// safe for concurrent use (keep one per goroutine and Merge).
type Histogram struct {
	counts [numBuckets]int64
	n      int64
	sum    float64
	max    time.Duration
}

func bucketOf(v uint64) int {
	if v < subCount {
		return int(v)
	}
	shift := bits.Len64(v) - subBits // >= 1; v>>shift is in [halfCount, subCount)
	if shift > maxExp-subBits+1 {
		return numBuckets - 1
	}
	return subCount + (shift-1)*halfCount + int(v>>shift) - halfCount
}

// bucketMid is the middle of bucket i's value range.
func bucketMid(i int) uint64 {
	if i < subCount {
		return uint64(i)
	}
	j := i - subCount
	shift := j/halfCount + 1
	low := uint64(j%halfCount+halfCount) << shift
	return low + (uint64(1)<<shift)/2
}

// Record adds one value; negative values count as 0.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(uint64(d))]++
	h.n++
	h.sum += float64(d)
	h.max = max(h.max, d)
}

// Merge adds o's values to h.
func (h *Histogram) Merge(o *Histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

// Count is the number of values recorded.
func (h *Histogram) Count() int64 { return h.n }

// Max is the largest value recorded.
func (h *Histogram) Max() time.Duration { return h.max }

// Mean is the mean of the values recorded (0 when none).
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.n))
}

// Quantile returns the q-quantile (0 < q <= 1), never more than the max.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(h.n)))
	rank = max(rank, 1)
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(time.Duration(bucketMid(i)), h.max)
		}
	}
	return h.max
}

// Ms is d in milliseconds, rounded to the microsecond.
func Ms(d time.Duration) float64 { return Round(float64(d)/1e6, 3) }

// Round rounds x to places decimals.
func Round(x float64, places int) float64 {
	p := math.Pow10(places)
	return math.Round(x*p) / p
}

// Summary is the usual set of figures, in milliseconds.
type Summary struct {
	N    int64   `json:"n"`
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
}

// Summarize returns h's count, p50, p90, p99, max and mean.
func (h *Histogram) Summarize() Summary {
	return Summary{N: h.n, P50: Ms(h.Quantile(0.5)), P90: Ms(h.Quantile(0.9)), P99: Ms(h.Quantile(0.99)), Max: Ms(h.max), Mean: Ms(h.Mean())}
}
