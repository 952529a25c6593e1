package term

import (
	"fmt"
	"io"
	"sync"
	"time"
)

var frames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// Spinner shows a turning mark and a label on one terminal line while a
// network step runs. A nil *Spinner, or one started disabled, does nothing,
// so callers need not check for a terminal themselves.
type Spinner struct {
	w    io.Writer
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// StartSpinner starts a spinner on w with label when enabled (w should be a
// terminal); otherwise it returns nil, which is safe to Stop.
func StartSpinner(w io.Writer, enabled bool, label string) *Spinner {
	return StartSpinnerFunc(w, enabled, func() string { return label })
}

// StartSpinnerFunc is StartSpinner with a label drawn afresh at every turn
// (a countdown, say).
func StartSpinnerFunc(w io.Writer, enabled bool, label func() string) *Spinner {
	if !enabled {
		return nil
	}
	s := &Spinner{w: w, stop: make(chan struct{}), done: make(chan struct{})}
	go s.spin(label)
	return s
}

func (s *Spinner) spin(label func() string) {
	defer close(s.done)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for i := 0; ; i++ {
		fmt.Fprintf(s.w, "\r\x1b[K%s %s…", frames[i%len(frames)], label())
		select {
		case <-s.stop:
			fmt.Fprint(s.w, "\r\x1b[K") // clear the line for what comes next
			return
		case <-t.C:
		}
	}
}

// Stop removes the spinner's line and returns once it is gone. It may be
// called more than once.
func (s *Spinner) Stop() {
	if s == nil {
		return
	}
	s.once.Do(func() { close(s.stop) })
	<-s.done
}
