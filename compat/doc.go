// Package compat checks that Coze's official SDKs work through the
// cozeauth gateway with only their base URL changed. Its tests install
// the SDK from its registry (npm) into compat/node and run the SDK's own
// code against a gateway in front of the Coze emulator.
package compat
