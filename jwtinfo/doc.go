// Package jwtinfo takes a compact JWT apart for a person: the header and
// claims as written, the time claims, the mistakes worth flagging in a Coze
// assertion, and an RS256 signature check against a public key. It never
// needs a private key.
package jwtinfo
