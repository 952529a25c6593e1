// Package testcert makes throwaway certificate authorities and the
// certificates they sign, for tests of TLS and client certificates. Keys
// are ECDSA P-256 (fast to generate under the race detector); nothing here
// is for production use.
package testcert
