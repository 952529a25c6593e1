// Package compat checks cozeauth against real outside clients: Coze's
// official Node SDK, installed from npm into compat/node, runs its own code
// through the gateway with only its base URL changed; and headless Chromium
// loads a public chat-widget page that gets a cookie-bound token and streams
// a chat through the gateway under CORS. Both run against the Coze emulator.
package compat
