// Package hist is a fixed-size log-linear latency histogram for the
// benchmark tools: values below 2^subBits nanoseconds are exact, larger
// ones fall in buckets 1/2^(subBits-1) wide relative to their magnitude
// (under 1% error at subBits = 8). Its size does not grow with the number
// of samples.
package hist
