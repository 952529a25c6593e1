// Package tlsconfig builds the TLS configuration `cozeauth serve` listens
// with: a certificate and key read from PEM files and read again whenever
// either file changes (checked with stat at each handshake, swapped
// atomically, the last good pair kept while a new one does not load), TLS
// 1.2 or newer with crypto/tls's own choice of cipher suites, and optional
// client certificates verified against a CA file (mutual TLS).
package tlsconfig
