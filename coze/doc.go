// Package coze speaks Coze's (扣子) OAuth wire protocol: regions, private
// keys, JWT assertions, one builder per grant (JWT, authorization code with
// a client secret or PKCE, device code, refresh token), authorize URLs, and
// Coze's typed errors. It holds no cache, keeps no grant and serves nothing;
// see package broker for the reuse of access tokens.
//
// Every token request goes through [Client.Exchange], which alone decides
// whether an attempt may be sent again: a request that spends a one-time
// credential (an authorization code, a refresh token) is repeated only when
// it provably never left this machine.
package coze
