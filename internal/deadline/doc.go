// Package deadline gives a listener's connections cheap, coarse deadlines.
//
// With its timeouts on, net/http sets a read or write deadline on the
// connection four or five times per request (the head, the end of the
// head, the answer, the idle wait and its end). Each one is a timer
// operation in the runtime's network poller; together they cost about
// 2 µs of CPU per request on a small VM, as much as the rest of
// cozeauth's token path.
//
// A Listener's connections record a deadline instead: one atomic store.
// One goroutine per listener looks at them every Tick and sets the
// deadlines that have passed on the real connection, so blocked I/O
// fails exactly as with a real deadline (os.ErrDeadlineExceeded), at
// most a Tick late. Deadlines that are already due, or due within two
// ticks, are set on the real connection at once, so setting a deadline in
// the past to abort a read (as net/http does) stays immediate, and short
// deadlines keep their precision.
//
// The goroutine runs only while the listener has open connections.
package deadline
