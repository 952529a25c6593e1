// Package loopback keeps the benchmark tools on this machine: URLs must
// name a loopback host, and the clients' dialers refuse any peer that is
// not a loopback address.
package loopback
