package server

import (
	"encoding/json"
	"reflect"
	"strings"
)

// typeProblem says which part of a JSON body has the wrong type in JSON's
// own words ("the body must be a JSON object, not an array"), never Go's
// type names.
func typeProblem(te *json.UnmarshalTypeError) string {
	where := "the body"
	if te.Field != "" {
		where = "field " + `"` + te.Field + `"`
	}
	return where + " must be " + jsonKind(te.Type) + ", not " + article(te.Value)
}

// jsonKind names what JSON value decodes into t.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another JSON value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "a JSON object"
	case reflect.Slice, reflect.Array:
		return "a JSON array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another JSON value"
}

// article puts "a" or "an" before encoding/json's word for what it found
// ("array", "object", "string", "number", "bool", "number 1.5").
func article(v string) string {
	switch {
	case v == "bool":
		return "true or false"
	case strings.HasPrefix(v, "number "):
		return v // "number 1.5": says which
	case v != "" && strings.ContainsRune("aeiou", rune(v[0])):
		return "an " + v
	}
	return "a " + v
}
