package inspect

import (
	"fmt"
	"io"
	"math/bits"
	"strings"
	"unicode/utf8"

	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/wasmbin"
)

// WriteText writes the report for people: a summary, then imports, exports,
// memories and custom sections in aligned columns.
func (r *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	r.writeText(ew, "")
	return ew.err
}

// errWriter remembers the first write error so the formatting code can stay linear.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (r *Report) writeText(w io.Writer, indent string) {
	kind := "core module"
	if r.Component != nil {
		kind = fmt.Sprintf("component (binary version %d)", r.Component.Version)
	}
	var t table
	if r.File != "" {
		t.row(indent, "file", r.File)
	}
	t.row(indent, "size", sizeText(uint64(r.Size)))
	t.row(indent, "kind", kind)
	t.row(indent, "pattern", r.Pattern+" ("+r.PatternReason+")")
	t.row(indent, "wasi", r.WASI)
	t.write(w)

	if r.Component != nil {
		r.Component.writeText(w, indent)
	} else {
		r.writeImports(w, indent)
		r.writeExports(w, indent)
		r.writeMemories(w, indent)
	}
	if len(r.CustomSections) > 0 {
		fmt.Fprintf(w, "\n%scustom sections (%d)\n", indent, len(r.CustomSections))
		t = table{rightAlign: 2}
		for _, c := range r.CustomSections {
			t.row(indent+"  ", Printable(c.Name), plural(c.Size, "byte"))
		}
		t.write(w)
	}
	if indent == "" {
		r.WIT.writeText(w)
	}
}

func (r *Report) writeImports(w io.Writer, indent string) {
	n := 0
	for _, g := range r.Imports {
		n += len(g.Items)
	}
	fmt.Fprintf(w, "\n%simports (%d)\n", indent, n)
	var t table
	for _, g := range r.Imports {
		t.heading(indent + "  " + Printable(g.Module))
		for _, it := range g.Items {
			t.row(indent+"    ", it.Kind, Printable(it.Name), importDetail(it))
		}
	}
	t.write(w)
}

func importDetail(it Import) string {
	switch {
	case it.Signature != "":
		return it.Signature
	case it.Memory != nil:
		return memoryText(*it.Memory)
	case it.Table != nil:
		s := it.Table.ElemType + ", " + limitsText(it.Table.Min, it.Table.Max, "elements")
		if it.Table.Table64 {
			s += ", table64"
		}
		return s
	case it.Global != nil:
		if it.Global.Mutable {
			return "mut " + it.Global.Type
		}
		return it.Global.Type
	}
	return ""
}

func (r *Report) writeExports(w io.Writer, indent string) {
	fmt.Fprintf(w, "\n%sexports (%d)\n", indent, len(r.Exports))
	var t table
	for _, e := range r.Exports {
		detail := e.Signature
		if detail == "" && e.Kind != "func" {
			detail = fmt.Sprintf("%s %d", e.Kind, e.Index)
		}
		t.row(indent+"  ", e.Kind, Printable(e.Name), detail)
	}
	t.write(w)
}

func (r *Report) writeMemories(w io.Writer, indent string) {
	fmt.Fprintf(w, "\n%smemories (%d)\n", indent, len(r.Memories))
	var t table
	for _, m := range r.Memories {
		where := "defined"
		if m.Import != "" {
			where = "imported " + Printable(m.Import)
		}
		exp := ""
		if len(m.Exports) > 0 {
			names := make([]string, len(m.Exports))
			for i, n := range m.Exports {
				names[i] = Printable(n)
			}
			exp = "exported as " + strings.Join(names, ", ")
		}
		t.row(indent+"  ", fmt.Sprint(m.Index), where, memoryText(m), exp)
	}
	t.write(w)
}

func (c *Component) writeText(w io.Writer, indent string) {
	for _, list := range []struct {
		title string
		items []ComponentExtern
	}{{"imports", c.Imports}, {"exports", c.Exports}} {
		fmt.Fprintf(w, "\n%s%s (%d)\n", indent, list.title, len(list.items))
		var t table
		for _, e := range list.items {
			t.row(indent+"  ", e.Kind, Printable(e.Name))
		}
		t.write(w)
	}
	for i, m := range c.CoreModules {
		fmt.Fprintf(w, "\n%score module %d\n", indent, i)
		m.writeText(w, indent+"  ")
	}
	for i, n := range c.Components {
		fmt.Fprintf(w, "\n%snested component %d\n", indent, i)
		n.writeText(w, indent+"  ")
	}
}

// table lays out rows in columns separated by two spaces. Headings are
// printed as they are and do not affect the column widths.
type table struct {
	rows       []tableRow
	rightAlign int // 1-based column to right-align (0: none)
}

type tableRow struct {
	prefix  string
	cells   []string
	heading bool
}

func (t *table) row(prefix string, cells ...string) {
	t.rows = append(t.rows, tableRow{prefix: prefix, cells: cells})
}

func (t *table) heading(s string) {
	t.rows = append(t.rows, tableRow{prefix: s, heading: true})
}

func (t *table) write(w io.Writer) {
	var widths []int
	for _, r := range t.rows {
		for i, c := range r.cells {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range t.rows {
		var b strings.Builder
		b.WriteString(r.prefix)
		for i, c := range r.cells {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if i+1 == t.rightAlign {
				b.WriteString(pad + c)
			} else {
				b.WriteString(c + pad)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// memoryText formats a memory's limits, e.g. "1..16 pages (64 KiB..1 MiB), shared"
// or "2+ pages (128 KiB+)" when there is no maximum.
func memoryText(m Memory) string {
	s := limitsText(m.MinPages, m.MaxPages, "pages")
	if b := bytesRange(m); b != "" {
		s += " (" + b + ")"
	}
	if m.PageSize != wasmbin.DefaultPageSize {
		s += fmt.Sprintf(", page size %d", m.PageSize)
	}
	if m.Shared {
		s += ", shared"
	}
	if m.Memory64 {
		s += ", memory64"
	}
	return s
}

// limitsText formats limits as "1..16 pages" or, without a maximum, "1+ pages".
func limitsText(min uint64, max *uint64, unit string) string {
	if max == nil {
		return fmt.Sprintf("%d+ %s", min, unit)
	}
	return fmt.Sprintf("%d..%d %s", min, *max, unit)
}

func bytesRange(m Memory) string {
	lo, ok := mulBytes(m.MinPages, m.PageSize)
	if !ok {
		return ""
	}
	if m.MaxPages == nil {
		return engine.FormatBytes(lo) + "+"
	}
	hi, ok := mulBytes(*m.MaxPages, m.PageSize)
	if !ok {
		return ""
	}
	return engine.FormatBytes(lo) + ".." + engine.FormatBytes(hi)
}

func mulBytes(pages, size uint64) (uint64, bool) {
	hi, lo := bits.Mul64(pages, size)
	return lo, hi == 0
}

func sizeText(n uint64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%d bytes (%.1f MiB)", n, float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d bytes (%.1f KiB)", n, float64(n)/(1<<10))
	}
	return plural(int(n), "byte")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// quoteIfOdd quotes names that contain spaces, control characters or are
// empty, so columns stay readable and nothing odd reaches the terminal.
func Printable(s string) string {
	if s == "" {
		return `""`
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r == '"' || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' || r == utf8.RuneError {
			return fmt.Sprintf("%q", s)
		}
	}
	return s
}
