// Package meter is how cozeauth's core (broker, server, credential sources,
// the audit writer) reports what it does, for metrics: a small interface
// with a no-op default, so that no metrics library is a dependency of the
// core. Package meter/prom adapts it to Prometheus.
//
// Every label a Meter receives is bounded by configuration or by code: an
// app name, a policy name, an outcome, an error code from a fixed set
// (Coze's error_code through CozeCode). Never a session, subject, client
// key, token or address: an adapter may use every argument as a label.
package meter
