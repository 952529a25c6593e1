package main

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// shutdownError says in words what an unfinished graceful shutdown means,
// instead of "context deadline exceeded".
func shutdownError(err error, grace time.Duration) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shut down with requests still in progress: they did not finish within the %s grace and were cut off (give them longer with --shutdown-grace)", grace)
	}
	return err
}
