package ratelimit

import (
	"math"
	"strconv"
)

// String writes r the way Parse reads it, in the largest unit that makes
// the number whole: Parse("10/m burst 5") prints "10/m burst 5", not
// "0.16666666666666666/s". A rate no unit makes whole is written per
// second with the fewest digits that read back the same. The zero (or
// any unlimited) Rate is "unlimited".
func (r Rate) String() string {
	if r.Unlimited() {
		return "unlimited"
	}
	num, unit := strconv.FormatFloat(r.PerSecond, 'g', -1, 64), "s"
	for _, u := range []struct {
		name string
		secs float64
	}{{"s", 1}, {"m", 60}, {"h", 3600}} {
		n := r.PerSecond * u.secs
		if whole := math.Round(n); whole >= 1 && math.Abs(n-whole) <= 1e-9*whole {
			num, unit = strconv.FormatFloat(whole, 'f', -1, 64), u.name
			break
		}
	}
	return num + "/" + unit + " burst " + strconv.Itoa(max(r.Burst, 1))
}
