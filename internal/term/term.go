package term

import (
	"io"
	"os"
)

// IsTerminal reports whether w is a terminal (a character device).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || f == nil {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// ColorWanted reports whether the environment allows colour: NO_COLOR unset
// or empty (https://no-color.org) and TERM not "dumb".
func ColorWanted(getenv func(string) string) bool {
	return getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
}

// Palette paints text with ANSI colours, or leaves it alone when off. The
// zero value is off.
type Palette struct{ on bool }

// For returns the palette for output to w: colour only on a terminal and
// only when the environment allows it.
func For(w io.Writer, getenv func(string) string) Palette {
	return Palette{on: IsTerminal(w) && ColorWanted(getenv)}
}

// NewPalette returns a palette that paints when on is true.
func NewPalette(on bool) Palette { return Palette{on: on} }

// On reports whether the palette paints.
func (p Palette) On() bool { return p.on }

func (p Palette) paint(code, s string) string {
	if !p.on || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// Green paints s green (success).
func (p Palette) Green(s string) string { return p.paint("32", s) }

// Red paints s red (failure).
func (p Palette) Red(s string) string { return p.paint("31", s) }

// Yellow paints s yellow (warning).
func (p Palette) Yellow(s string) string { return p.paint("33", s) }

// Bold makes s bold.
func (p Palette) Bold(s string) string { return p.paint("1", s) }

// Dim makes s faint.
func (p Palette) Dim(s string) string { return p.paint("2", s) }
