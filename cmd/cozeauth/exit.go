package main

import (
	"errors"
	"fmt"
	"io"
)

// exitError ends the process with code, the command having already said
// what went wrong.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// errReported fails with status 1 without another message.
var errReported error = &exitError{code: 1}

// exitStatus prints err (unless already reported) and returns the status.
func exitStatus(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	fmt.Fprintln(stderr, "cozeauth:", err)
	return 1
}
