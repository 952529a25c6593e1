// Package prom adapts meter.Meter to Prometheus (client_golang): New
// returns a Meter whose metrics, with Go's runtime and process metrics
// and the gauges read at scrape time (cache, grants), are served by
// Handler in Prometheus' text format.
//
// Label values are the Meter's arguments, which package meter keeps
// bounded (app, policy, outcome, codes from fixed sets): never a session,
// subject, token or key.
package prom
