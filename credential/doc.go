// Package credential builds, for each kind of Coze app, the broker.Source
// that mints its access tokens: a JWT app signs an assertion and exchanges
// it; a PAT app hands out its static token; a web, PKCE or device app
// redeems the refresh token of the end user's grant, kept in a grant.Store.
//
// Caching is not done here: the broker reuses access tokens. The broker
// never sees a refresh token: only the refresh Source reads and writes
// grants, and it saves each rotated refresh token durably before the new
// access token is handed out.
package credential
