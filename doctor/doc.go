// Package doctor finds out why a Coze app does not get tokens. It runs
// ordered checks — configuration, private key, optional public key, app id
// and key id, reachability, clock skew, a real exchange — and for each
// failure names the likely cause and the fix. When Coze answers "kid not
// been registred" it tries the other region itself.
package doctor
