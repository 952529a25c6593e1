package config

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// shapeProblem is a field a YAML document has that its Go type does not,
// or a value of the wrong shape (a list where one value belongs).
type shapeProblem struct {
	field, msg, fix string
}

// yamlShape checks the document n against t, the type it decodes into,
// and returns every problem at once, each with its path (apps[0].regoin),
// its line and, for an unknown field, the nearest known name. It never
// names a Go type.
func yamlShape(n *yaml.Node, t reflect.Type) []shapeProblem {
	var out []shapeProblem
	walkShape(n, t, "", &out, 0)
	return out
}

var (
	timeType        = reflect.TypeOf(time.Time{})
	unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
)

// maxShapeDepth bounds the walk: aliases may nest a document (or refer
// to themselves) deeper than any configuration does.
const maxShapeDepth = 64

func walkShape(n *yaml.Node, t reflect.Type, path string, out *[]shapeProblem, depth int) {
	if depth > maxShapeDepth || len(*out) > 1000 {
		return
	}
	depth++
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			walkShape(c, t, path, out, depth)
		}
		return
	case yaml.AliasNode:
		if n.Alias != nil {
			walkShape(n.Alias, t, path, out, depth)
		}
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType || t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(unmarshalerType) {
		return
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // empty: the zero value
	}
	where := "in " + path
	if path == "" {
		where = "at the top level"
	}
	wrong := func(want string) {
		*out = append(*out, shapeProblem{field: cmpOr(path, "(file)"),
			msg: fmt.Sprintf("line %d: must be %s, not %s", n.Line, want, nodeWords(n)),
			fix: "write " + cmpOr(path, "the file") + " as " + want})
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			wrong("fields (name: value)")
			return
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" { // a merge key: its mapping's fields are this one's
				walkShape(v, t, path, out, depth)
				continue
			}
			ft, ok := fields[k.Value]
			if !ok {
				*out = append(*out, unknownField(k, path, where, fields))
				continue
			}
			walkShape(v, ft, join(path, k.Value), out, depth)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			wrong("a mapping (key: value)")
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			walkShape(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value), out, depth)
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			wrong("a list")
			return
		}
		for i, c := range n.Content {
			walkShape(c, t.Elem(), path+"["+strconv.Itoa(i)+"]", out, depth)
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			wrong("a single value")
		}
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			wrong("true or false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			wrong("a whole number")
		}
	case reflect.Float32, reflect.Float64:
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
			wrong("a number")
		}
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// nodeWords says what a YAML node is, in YAML's words, with the value
// for a short scalar.
func nodeWords(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	if v := n.Value; len(v) <= 40 && !looksSecret(v) {
		return strconv.Quote(v)
	}
	return "a text value"
}

// yamlFields maps each YAML field name of struct t to its type, inline
// structs' fields included, as yaml.v3 decodes them.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if tag == "-" || (f.PkgPath != "" && !f.Anonymous) {
			continue
		}
		if strings.Contains(opts, "inline") {
			for k, v := range yamlFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

func unknownField(k *yaml.Node, path, where string, fields map[string]reflect.Type) shapeProblem {
	name := k.Value
	if looksSecret(name) {
		name = hiddenValue
	}
	if name == "" {
		name = `""`
	}
	p := shapeProblem{field: join(path, name), msg: fmt.Sprintf("line %d: unknown field %s %s", k.Line, strconv.Quote(strings.Trim(name, `"`)), where)}
	known := slices.Sorted(func(yield func(string) bool) {
		for f := range fields {
			if !yield(f) {
				return
			}
		}
	})
	if s := nearest(k.Value, known); s != "" {
		p.fix = "did you mean " + s + "?"
	} else if len(known) <= 12 {
		p.fix = "the fields " + where + " are " + strings.Join(known, ", ")
	} else {
		p.fix = "remove it, or check its name against the README's configuration reference"
	}
	return p
}

// nearest is the known name closest to s in edit distance, when close
// enough to be a typo (at most a third of its letters, at least one).
func nearest(s string, known []string) string {
	best, bestD := "", max(1, len(s)/3)+1
	for _, k := range known {
		if d := editDistance(strings.ToLower(s), k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance, with a swap of neighbours
// counting as one edit (regoin, region).
func editDistance(a, b string) int {
	prev2, prev, cur := make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// yamlGoWords are Go and yaml.v3 internals that a decoding error may
// name; plainYAMLError replaces them with words.
var yamlGoWords = strings.NewReplacer("!!seq", "a list", "!!map", "a mapping", "!!str", "text", "!!int", "a number",
	"!!bool", "true or false", "!!float", "a number", "yaml: ", "")

var goTypeRE = regexp.MustCompile(` (?:in|into) (?:type )?(?:\[\])?\*?[a-zA-Z0-9_]+\.[A-Za-z0-9_]+| into (?:u?int(?:8|16|32|64)?|string|bool|float64)`)

// plainYAMLError is a YAML decoding error's text without Go type names.
func plainYAMLError(err error) string {
	return yamlGoWords.Replace(goTypeRE.ReplaceAllString(redactErr(err), ""))
}
