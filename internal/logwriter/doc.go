// Package logwriter writes log lines (the audit log, the access log) off
// the request path: Write copies a line into a memory buffer and returns;
// one goroutine writes full buffers, and the partial one at least every
// flush interval, to the destination.
//
// What can be lost: at a crash (kill -9, power loss), the lines not yet
// written — at most the current buffer plus the queued full ones
// (Options.BufferSize × (Options.Buffers + 2), 1.1 MiB by default), and
// in steady state no more than the last flush interval's lines (200 ms by
// default, never more than 1 s). Close (a normal shutdown) writes
// everything. When the destination is slower than the lines arrive and
// the queue is full, new lines are dropped, not waited for — the request
// path never blocks on a disk or a pipe — and counted (Dropped,
// Options.OnDrop) and reported on the operational log at most once a
// minute. A failed write is counted and reported the same way; writing
// resumes as soon as the destination accepts data again.
//
// A file destination can be reopened (Reopen: after logrotate moved it
// away, on SIGHUP).
package logwriter
