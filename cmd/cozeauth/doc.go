// Command cozeauth holds a Coze OAuth app's secrets and hands callers
// short-lived Coze access tokens. Run `cozeauth serve --demo` to try it
// offline.
package main
