// Package human renders times and durations the way a person says them:
// "14 min", "in 14 min", "expired 3 h ago".
package human
