package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/inspect"
)

// This file is the schema-directed walk over yaml.Node: every value is read
// by a helper that knows the type it wants, so each problem gets the line of
// the node it concerns and the path of its field.

// budget bounds the nodes one decode visits: merge keys over aliases can
// make a small document expand exponentially.
const budget = 1 << 18

// MaxProblems is how many problems an *Error lists at most; a last one
// counts the rest.
const MaxProblems = 100

// collectProblems bounds the problems a decode records (before they are
// sorted and cut to MaxProblems).
const collectProblems = 10 * MaxProblems

// decoder collects the problems of one manifest.
type decoder struct {
	file, dir string
	probs     []Problem
	visits    int
	exhausted bool
	dropped   int // problems past collectProblems
	// memo holds the entries of each mapping read (aliases read one
	// mapping many times).
	memo    map[*yaml.Node][]pair
	reports map[string]*inspect.Report // by module path; nil when unreadable
}

// add records a problem at line about field.
func (d *decoder) add(line int, field, format string, args ...any) {
	if len(d.probs) >= collectProblems {
		d.dropped++
		return
	}
	d.probs = append(d.probs, Problem{File: d.file, Line: line, Field: oneLine(field), Msg: oneLine(fmt.Sprintf(format, args...))})
}

// oneLine escapes the control characters of s (from names and paths in the
// file), so that each problem prints as one line.
func oneLine(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// err returns the problems as an *Error in file order (nil when none).
func (d *decoder) err() error {
	if len(d.probs) == 0 {
		return nil
	}
	ps := slices.Clone(d.probs)
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
	ps = slices.Compact(ps)
	if more := len(ps) - MaxProblems + d.dropped; more > 0 {
		ps = ps[:min(len(ps), MaxProblems)]
		ps = append(ps, Problem{File: d.file, Line: ps[len(ps)-1].Line, Msg: fmt.Sprintf("and %d more problems", more)})
	}
	return &Error{Problems: ps}
}

// visit counts one node against the budget; false once it is spent.
func (d *decoder) visit() bool {
	d.visits++
	if d.visits > budget {
		if !d.exhausted {
			d.exhausted = true
			d.add(0, "", "the document expands to more than %d values (through aliases and merge keys); write it out plainly", budget)
		}
		return false
	}
	return true
}

var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// parserError matches the messages of yaml.v3's parser (as opposed to its
// scanner and composer). It reports their lines 0-based (and none for the
// first line), where it reports the scanner's 1-based; syntax corrects
// them.
var parserError = regexp.MustCompile(`^(did not find expected |found duplicate %|found incompatible YAML document|found undefined tag handle)`)

// syntax records a YAML syntax error in data.
func (d *decoder) syntax(data []byte, err error) {
	line, msg := yamlError(err)
	if parserError.MatchString(msg) {
		// The parser reports where the construct it was parsing starts
		// (a block mapping, a flow sequence), 0-based. The problem is at
		// or after it: the first line from there where the text up to it
		// fails the same way.
		line = refine(data, line+1, msg)
	}
	if n := bytes.Count(data, []byte("\n")); !bytes.HasSuffix(data, []byte("\n")) {
		line = min(line, n+1)
	} else {
		line = min(line, max(n, 1))
	}
	d.add(line, "", "invalid YAML: %s", msg)
}

// yamlError splits a yaml.v3 error into its line (0 when none) and message.
func yamlError(err error) (int, string) {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, err.Error()
	}
	line, _ := strconv.Atoi(m[1])
	return line, m[2]
}

// refineLines bounds the documents refine searches (it parses a prefix
// per line).
const refineLines = 1000

// refine returns the first line, from from on, at which data cut after
// that line fails to parse with msg; from when there is none.
func refine(data []byte, from int, msg string) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > refineLines {
		return from
	}
	end, parsed := 0, 0
	for l := 1; l <= len(lines); l++ {
		end += len(lines[l-1])
		if l < from {
			continue
		}
		if parsed += end; parsed > 16<<20 {
			break
		}
		dec := yaml.NewDecoder(bytes.NewReader(data[:end]))
		for {
			var n yaml.Node
			err := dec.Decode(&n)
			if err == nil {
				continue
			}
			if _, m := yamlError(err); !errors.Is(err, io.EOF) && m == msg {
				return l
			}
			break
		}
	}
	return from
}

// document parses data into its one document's root node; nil when there
// is none (problems recorded).
func (d *decoder) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.add(0, "", "the file is empty; a manifest is a mapping that starts with \"version: 1\"")
		} else {
			d.syntax(data, err)
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		d.add(next.Line, "", "a second YAML document; a manifest is one document")
	case !errors.Is(err, io.EOF):
		d.syntax(data, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		d.add(0, "", "the file is empty; a manifest is a mapping that starts with \"version: 1\"")
		return nil
	}
	root := resolve(doc.Content[0])
	switch {
	case root == nil || isNull(root):
		d.add(doc.Line, "", "the file is empty; a manifest is a mapping that starts with \"version: 1\"")
		return nil
	case root.Kind != yaml.MappingNode:
		d.add(root.Line, "", "a manifest is a mapping (version: 1, name: ..., components: ...), not %s", describe(root))
		return nil
	}
	return root
}

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i == 16 {
			return nil
		}
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// describe names what n is, for "want X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "nothing (null)"
		case "!!str":
			return strconv.Quote(n.Value)
		}
		return n.Value
	}
	return "an unknown YAML node"
}

// join extends a field path with a name.
func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// index extends a field path with a list index.
func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// pair is one key and value of a mapping, aliases resolved.
type pair struct{ key, val *yaml.Node }

// mapping returns the entries of the mapping n in file order, merge keys
// (<<) expanded; null is an empty mapping. ok is false when n is not a
// mapping (recorded).
func (d *decoder) mapping(n *yaml.Node, path string) (pairs []pair, ok bool) {
	n = resolve(n)
	if n == nil || isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.MappingNode {
		d.add(n.Line, path, "want a mapping, got %s", describe(n))
		return nil, false
	}
	if ps, ok := d.memo[n]; ok {
		return ps, true
	}
	ps := d.pairs(n, path, 0)
	if d.memo == nil {
		d.memo = map[*yaml.Node][]pair{}
	}
	d.memo[n] = ps
	return ps, true
}

func isMerge(k *yaml.Node) bool { return k.Kind == yaml.ScalarNode && k.Tag == "!!merge" }

// pairs lists the entries of mapping n. Keys must be scalars and unique;
// keys written in n win over merged ones, and earlier merged mappings over
// later ones, as YAML's merge key specifies.
func (d *decoder) pairs(n *yaml.Node, path string, depth int) []pair {
	explicit := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if !d.visit() {
			return nil
		}
		k := resolve(n.Content[i])
		if k == nil || isMerge(k) {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.add(k.Line, path, "a key must be a name, not %s", describe(k))
			continue
		}
		if first, dup := explicit[k.Value]; dup {
			d.add(k.Line, path, "duplicate key %q (first at line %d)", k.Value, first)
			continue
		}
		explicit[k.Value] = k.Line
	}
	var out []pair
	emitted := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if !d.visit() {
			return out
		}
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k == nil || v == nil {
			continue
		}
		if isMerge(k) {
			for _, m := range d.merged(k, v, path, depth) {
				if _, ok := explicit[m.key.Value]; !ok && !emitted[m.key.Value] {
					emitted[m.key.Value] = true
					out = append(out, m)
				}
			}
			continue
		}
		if k.Kind != yaml.ScalarNode || emitted[k.Value] {
			continue
		}
		emitted[k.Value] = true
		out = append(out, pair{k, v})
	}
	return out
}

// merged returns the entries a merge key brings in.
func (d *decoder) merged(k, v *yaml.Node, path string, depth int) []pair {
	if depth >= 8 {
		d.add(k.Line, path, "merge keys (<<) nested more than 8 deep")
		return nil
	}
	switch v.Kind {
	case yaml.MappingNode:
		return d.pairs(v, path, depth+1)
	case yaml.SequenceNode:
		var out []pair
		for _, c := range v.Content {
			c = resolve(c)
			if c == nil || c.Kind != yaml.MappingNode {
				d.add(k.Line, path, "a merge key (<<) takes a mapping or a list of mappings")
				continue
			}
			out = append(out, d.pairs(c, path, depth+1)...)
		}
		return out
	}
	d.add(v.Line, path, "a merge key (<<) takes a mapping or a list of mappings, not %s", describe(v))
	return nil
}

// list returns the items of the sequence n, aliases resolved; null is an
// empty list. ok is false when n is not a list (recorded).
func (d *decoder) list(n *yaml.Node, path string) (items []*yaml.Node, ok bool) {
	n = resolve(n)
	if n == nil || isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.SequenceNode {
		d.add(n.Line, path, "want a list, got %s", describe(n))
		return nil, false
	}
	for _, c := range n.Content {
		if !d.visit() {
			break
		}
		if c = resolve(c); c != nil {
			items = append(items, c)
		}
	}
	return items, true
}

// str reads a string. Numbers and booleans read as their text; null is "".
func (d *decoder) str(n *yaml.Node, path string) (string, bool) {
	n = resolve(n)
	if n == nil || isNull(n) {
		return "", true
	}
	if n.Kind != yaml.ScalarNode {
		d.add(n.Line, path, "want a string, got %s", describe(n))
		return "", false
	}
	return n.Value, true
}

// integer reads an integer (null is 0).
func (d *decoder) integer(n *yaml.Node, path string) (int, bool) {
	n = resolve(n)
	if n == nil || isNull(n) {
		return 0, true
	}
	var v int
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&v) != nil {
		d.add(n.Line, path, "want an integer, got %s", describe(n))
		return 0, false
	}
	return v, true
}

// boolean reads true or false (null is false).
func (d *decoder) boolean(n *yaml.Node, path string) (bool, bool) {
	n = resolve(n)
	if n == nil || isNull(n) {
		return false, true
	}
	var v bool
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&v) != nil {
		d.add(n.Line, path, "want true or false, got %s", describe(n))
		return false, false
	}
	return v, true
}

// duration reads a non-negative Go duration ("5s", "1m30s"); 0 and null
// are 0.
func (d *decoder) duration(n *yaml.Node, path string) (time.Duration, bool) {
	return d.anyDuration(n, path, false)
}

// anyDuration reads a Go duration, negative ones too when negative is set.
func (d *decoder) anyDuration(n *yaml.Node, path string, negative bool) (time.Duration, bool) {
	n = resolve(n)
	if n == nil || isNull(n) {
		return 0, true
	}
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!str" && n.Tag != "!!int") {
		d.add(n.Line, path, "want a duration such as 5s, 250ms or 1m30s, got %s", describe(n))
		return 0, false
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		d.add(n.Line, path, "want a duration such as 5s, 250ms or 1m30s, got %s", describe(n))
		return 0, false
	}
	if v < 0 && !negative {
		d.add(n.Line, path, "%s: a duration must not be negative", n.Value)
		return 0, false
	}
	return v, true
}

// size reads a size ("64MiB", 4096); null is 0 (the default).
func (d *decoder) size(n *yaml.Node, path string) (wasmhive.Size, bool) {
	n = resolve(n)
	if n == nil || isNull(n) {
		return 0, true
	}
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!str" && n.Tag != "!!int") {
		d.add(n.Line, path, "want a size such as 64MiB, got %s", describe(n))
		return 0, false
	}
	v, err := wasmhive.ParseSize(n.Value)
	if err != nil {
		d.add(n.Line, path, "%s", err.Error())
		return 0, false
	}
	return v, true
}

// strList reads a list of strings.
func (d *decoder) strList(n *yaml.Node, path string, check func(s string) string) []string {
	items, _ := d.list(n, path)
	var out []string
	for i, c := range items {
		s, ok := d.str(c, index(path, i))
		if !ok {
			continue
		}
		if check != nil {
			if msg := check(s); msg != "" {
				d.add(c.Line, index(path, i), "%s", msg)
				continue
			}
		}
		out = append(out, s)
	}
	return out
}

// strMap reads a mapping of names to strings (nil when empty).
func (d *decoder) strMap(n *yaml.Node, path string, checkKey func(k string) string) map[string]string {
	pairs, _ := d.mapping(n, path)
	if len(pairs) == 0 {
		return nil
	}
	m := make(map[string]string, len(pairs))
	for _, p := range pairs {
		if !d.visit() {
			break
		}
		if msg := checkKey(p.key.Value); msg != "" {
			d.add(p.key.Line, path, "%s", msg)
			continue
		}
		if s, ok := d.str(p.val, join(path, p.key.Value)); ok {
			m[p.key.Value] = s
		}
	}
	return m
}

// field is one field of an object of type T: its name and how its value
// is decoded into the object.
type field[T any] struct {
	name string
	dec  func(d *decoder, key, val *yaml.Node, path string, t *T)
}

// names lists the names of fs, in order.
func names[T any](fs []field[T]) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.name
	}
	return out
}

// object decodes the mapping n into t with fs; path names n. Fields not in
// fs are problems, listing known (names(fs) when nil) and calling them
// what ("field", "capability"). It returns the key and value of each field
// present, and false when n is not a mapping.
func object[T any](d *decoder, n *yaml.Node, path, what string, known []string, fs []field[T], t *T) (map[string]*pair, bool) {
	pairs, ok := d.mapping(n, path)
	if !ok {
		return nil, false
	}
	if known == nil {
		known = names(fs)
	}
	present := map[string]*pair{}
	list := strings.Join(known, ", ")
	for _, p := range pairs {
		if !d.visit() {
			break
		}
		i := slices.IndexFunc(fs, func(f field[T]) bool { return f.name == p.key.Value })
		if i < 0 {
			if len(known) == 0 {
				d.add(p.key.Line, path, "unknown %s %q; this takes none", what, p.key.Value)
			} else {
				d.add(p.key.Line, path, "unknown %s %q; known: %s", what, p.key.Value, list)
			}
			continue
		}
		present[p.key.Value] = &p
		fs[i].dec(d, p.key, p.val, join(path, p.key.Value), t)
	}
	return present, true
}
