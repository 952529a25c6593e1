package config

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// secretField reads a secret given inline (field) or in a file
// (fileField, relative to the config file). It returns the value (spaces
// around it trimmed) and where it came from, "" when neither is set; a
// problem is reported to e, never with the value in it.
func (r *rawApp) secretField(e *errs, inline, file, field, fileField, what string) (value, source string) {
	switch {
	case inline != "" && file != "":
		e.add(r.field(field), "give the "+what+" inline or as a file, not both", "both %s and %s are set", r.field(field), r.field(fileField))
		return "", ""
	case file != "":
		path := r.path(file)
		b, err := readSecretFile(path)
		if err != nil {
			if !looksLikePath(file) {
				// The secret itself, given where its file belongs, would
				// be repeated by the error: name the field only.
				e.add(r.field(fileField), "give the path of a file holding the "+what+"; to give the "+what+" itself, use "+r.field(field),
					"cannot read the %s from it (the value is not shown: it does not look like a file path, and may be the %s itself)", what, what)
				return "", ""
			}
			e.add(r.field(fileField), "check the path; it is relative to the config file", "cannot read the %s: %v", what, err)
			return "", ""
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			e.add(r.field(fileField), "put the "+what+" in the file", "%s is empty", path)
			return "", ""
		}
		return v, "file " + path
	case inline != "":
		return strings.TrimSpace(inline), r.field(field)
	}
	return "", ""
}

// checkSecretText refuses a secret that could not go in an HTTP header:
// nothing but visible ASCII, at most 4 KiB. The value is never quoted.
func checkSecretText(e *errs, field, what, v string) bool {
	if len(v) > 4096 {
		e.add(field, "paste the "+what+" alone", "the %s is %d bytes long, more than any Coze %s", what, len(v), what)
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] <= ' ' || v[i] >= 0x7f {
			e.add(field, "paste the "+what+" alone, without spaces, line breaks or quotes around it",
				"the %s has a space or a character that is not visible ASCII at byte %d", what, i)
			return false
		}
	}
	return true
}

// maxSecretFile bounds what is read of a secret file: a token or client
// secret is far smaller.
const maxSecretFile = 64 << 10

// readSecretFile reads a file holding one secret.
func readSecretFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxSecretFile {
		return nil, fmt.Errorf("%s is larger than %d KiB: not a file holding one secret", path, maxSecretFile>>10)
	}
	return b, nil
}

// looksLikePath reports whether s reads as a file path: it has a
// directory separator or a file extension, which tokens and client
// secrets do not.
func looksLikePath(s string) bool {
	return strings.ContainsAny(s, `/\`) || filepath.Ext(s) != ""
}
