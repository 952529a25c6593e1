package config

import (
	"bytes"
	"errors"
	"io"
	"reflect"

	"go.yaml.in/yaml/v3"
)

// decodeFile parses a config file. YAML that does not parse is one
// problem (with its line); otherwise every unknown field and every value
// of the wrong shape is recorded in the returned errs, and the rest is
// decoded, so that validation reports its problems alongside.
func decodeFile(path string, data []byte) (fileConfig, *errs, error) {
	var fc fileConfig
	e := &errs{source: path}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return fc, nil, &Error{Problems: []error{&FieldError{Source: path, Field: "(file)", Msg: plainYAMLError(err),
			Fix: "fix the YAML syntax at that line (indent with spaces, quote values holding ': ' or '#')"}}}
	}
	shape := yamlShape(&root, reflect.TypeOf(fc))
	for _, p := range shape {
		e.add(p.field, p.fix, "%s", p.msg)
	}
	err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&fc)
	var te *yaml.TypeError
	switch {
	case err == nil, errors.Is(err, io.EOF):
	case errors.As(err, &te) && len(shape) > 0:
		// The shape check described these, with their paths.
	default:
		e.add("(file)", "check the field names and values against the README's configuration reference", "%s", plainYAMLError(err))
	}
	return fc, e, nil
}
