// Package term decides how the CLI talks to a terminal: whether output is a
// terminal, whether colour is wanted (never when NO_COLOR is set), and the
// colours themselves.
package term
