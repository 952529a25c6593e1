// Command hello is the baseline for cozeauth's load benchmark: the smallest
// net/http server that answers every request with a fixed JSON body shaped
// and sized like a cozeauth token answer (same headers, ~216 bytes). It
// measures what the machine, the Go HTTP stack and the load generator cost
// on their own, so cozeauth's numbers can be read as a ratio to it.
package main
