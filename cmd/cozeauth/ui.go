package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/doctor"
	"github.com/cozeauth/cozeauth/internal/term"
)

// ui writes check lines (✓ ✗ ! –) to stdout, in colour only on a terminal
// without NO_COLOR, and spinners to stderr only when it is a terminal.
type ui struct {
	out     io.Writer
	errw    io.Writer
	pal     term.Palette
	spinOK  bool
	spinner *term.Spinner
}

func newUI(cmd *cobra.Command) *ui {
	out, errw := cmd.OutOrStdout(), cmd.ErrOrStderr()
	return &ui{out: out, errw: errw, pal: term.For(out, os.Getenv), spinOK: term.IsTerminal(errw)}
}

// nameWidth fits the longest check name, "Coze API reachable".
const nameWidth = 18

func (u *ui) mark(s doctor.Status) string {
	switch s {
	case doctor.OK:
		return u.pal.Green("✓")
	case doctor.Warn:
		return u.pal.Yellow("!")
	case doctor.Fail:
		return u.pal.Red("✗")
	}
	return u.pal.Dim("–")
}

// check prints one check: its line, then details, cause, fix and log id
// indented under the summary.
func (u *ui) check(c doctor.Check) {
	u.stop()
	name := c.Name
	if pad := nameWidth - len(name); pad > 0 {
		name += strings.Repeat(" ", pad)
	}
	summary := c.Summary
	if c.Status == doctor.Skip {
		summary = u.pal.Dim(summary)
	}
	fmt.Fprintf(u.out, "%s %s %s\n", u.mark(c.Status), u.pal.Bold(name), summary)
	indent := strings.Repeat(" ", nameWidth+3)
	for _, d := range c.Details {
		fmt.Fprintf(u.out, "%s· %s\n", indent, d)
	}
	if c.Cause != "" {
		fmt.Fprintf(u.out, "%scause: %s\n", indent, c.Cause)
	}
	if c.Fix != "" {
		fmt.Fprintf(u.out, "%sfix:   %s\n", indent, c.Fix)
	}
	if c.LogID != "" {
		fmt.Fprintf(u.out, "%slog id: %s %s\n", indent, c.LogID, u.pal.Dim("(Coze support asks for it)"))
	}
}

// note prints a one-line mark and message, without the name column.
func (u *ui) note(s doctor.Status, msg string) {
	u.stop()
	fmt.Fprintf(u.out, "%s %s\n", u.mark(s), msg)
}

// start shows a spinner with label on a terminal, replacing any other.
func (u *ui) start(label string) {
	u.stop()
	u.spinner = term.StartSpinner(u.errw, u.spinOK, label)
}

// stop removes the spinner, if any.
func (u *ui) stop() {
	u.spinner.Stop()
	u.spinner = nil
}
