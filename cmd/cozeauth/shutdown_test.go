package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestShutdownErrorInWords(t *testing.T) {
	err := shutdownError(fmt.Errorf("shutdown: %w", context.DeadlineExceeded), 10*time.Second)
	if err == nil || strings.Contains(err.Error(), "deadline exceeded") || !strings.Contains(err.Error(), "10s") || !strings.Contains(err.Error(), "--shutdown-grace") {
		t.Errorf("got %v", err)
	}
	other := errors.New("listener broke")
	if shutdownError(other, time.Second) != other || shutdownError(nil, time.Second) != nil {
		t.Error("other errors must pass through unchanged")
	}
}
