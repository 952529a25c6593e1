// Package compat checks cozeauth against real outside clients: Coze's
// official Node SDK, installed from npm into compat/node, runs its own code
// through the gateway with only its base URL changed, and takes /client.js
// as its token function; the compatibility matrix (TestCompatMatrix, rows
// in compat/node/matrix/*.mjs, run by compat/node/matrix.mjs) makes every
// SDK call the emulator implements, straight at the emulator and through
// the gateway, and writes docs/compat.md (regenerate with go test ./compat
// -run TestCompatMatrix -update); and headless Chromium loads a public
// chat-widget page that gets a cookie-bound token and streams a chat
// through the gateway under CORS, runs /client.js, the user script (in a
// stand-in Coze page) and an extension's request, and keeps the demo chat
// page going across three token lifetimes. All run against the Coze
// emulator.
package compat
