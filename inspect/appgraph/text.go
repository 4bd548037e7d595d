package appgraph

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/wasmhive/wasmhive/inspect"
	"github.com/wasmhive/wasmhive/link"
)

// WriteJSON writes the graph as indented JSON (the `wasmhive inspect
// --json app.yaml` output), without HTML escaping, followed by a newline.
func (g *Graph) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(g)
}

// WriteText writes the graph for people: each component with its imports
// and what satisfies them and its exports, then the links, the triggers,
// the problems, and a summary line. Problems are marked "!!".
func (g *Graph) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "app %s  %s\n", inspect.Printable(g.Name), inspect.Printable(g.File))
	for _, c := range g.Components {
		c.writeText(&b)
	}

	fmt.Fprintf(&b, "\nlinks (%d)\n", len(g.Links))
	var t table
	for _, l := range g.Links {
		var extra []string
		if l.Timeout != "" {
			extra = append(extra, "timeout "+l.Timeout)
		}
		if in := l.Instances; in != nil {
			extra = append(extra, "instances "+in.text())
		}
		t.row("  ", inspect.Printable(l.From)+" -> "+inspect.Printable(l.To), inspect.Printable(l.Interface), names(l.Functions), strings.Join(extra, ", "))
		for _, p := range l.Problems {
			t.line("    !! " + p)
		}
	}
	t.write(&b)

	fmt.Fprintf(&b, "\nroutes (%d)\n", len(g.Routes))
	t = table{}
	for _, r := range g.Routes {
		how := r.Convention
		if r.Export != "" {
			how += ", " + inspect.Printable(r.Export)
		}
		t.row("  ", inspect.Printable(r.Path), "-> "+inspect.Printable(r.Component), how)
	}
	t.write(&b)

	fmt.Fprintf(&b, "\nsubscriptions (%d)\n", len(g.Subscriptions))
	t = table{}
	for _, s := range g.Subscriptions {
		how := inspect.Printable(s.Export)
		if s.Queue != "" {
			how += ", queue " + inspect.Printable(s.Queue)
		}
		t.row("  ", inspect.Printable(s.Subject), "-> "+inspect.Printable(s.Component), how)
	}
	t.write(&b)

	if len(g.Problems) > 0 {
		fmt.Fprintf(&b, "\nproblems (%d)\n", len(g.Problems))
		for _, p := range g.Problems {
			b.WriteString("  !! " + p.Message + "\n")
		}
	}
	fmt.Fprintf(&b, "\n%s\n", g.Summary)
	_, err := io.WriteString(w, b.String())
	return err
}

func (c Component) writeText(b *strings.Builder) {
	fmt.Fprintf(b, "\ncomponent %s  %s\n", inspect.Printable(c.Name), inspect.Printable(c.Module))
	var t table
	t.row("  ", "pattern", c.Pattern+" ("+c.PatternReason+")")
	grants := "none"
	if len(c.Providers) > 0 {
		var gs []string
		for _, p := range c.Providers {
			gs = append(gs, p.Name+" ("+p.Detail+")")
		}
		grants = strings.Join(gs, "; ")
	}
	t.row("  ", "grants", grants)
	for _, l := range c.Libraries {
		t.row("  ", "library", inspect.Printable(l.Name)+"  "+inspect.Printable(l.Module))
	}
	t.write(b)

	b.WriteString("  imports\n")
	t = table{}
	for _, im := range c.Imports {
		fns := make([]string, len(im.Functions))
		for i, f := range im.Functions {
			fns[i] = f.Name
		}
		list := names(fns)
		if im.By.Kind == ByHost {
			list = count(len(fns), "function")
		}
		t.row("    ", inspect.Printable(im.Name), im.By.text(), list)
		if im.Name == link.InvokeModule && im.By.Kind == ByHost {
			to := make([]string, len(im.By.RoutesTo))
			for i, r := range im.By.RoutesTo {
				to[i] = r.text()
			}
			if len(to) == 0 {
				to = []string{"nothing (no links, no grants)"}
			}
			t.line("      generic calls -> " + strings.Join(to, ", "))
		}
	}
	if len(c.Imports) == 0 {
		t.line("    none")
	}
	t.write(b)

	b.WriteString("  exports\n")
	t = table{}
	for _, e := range c.Exports {
		impl := ""
		if e.Interface != "" {
			impl = "implements " + inspect.Printable(e.Interface) + "." + inspect.Printable(e.Function)
		}
		var users []string
		for _, u := range e.UsedBy {
			users = append(users, u.Kind+" "+inspect.Printable(u.Name))
		}
		used := ""
		if len(users) > 0 {
			used = "<- " + strings.Join(users, ", ")
		}
		t.row("    ", inspect.Printable(e.Name), e.Signature, impl, used)
	}
	if len(c.Exports) == 0 {
		t.line("    none")
	}
	t.write(b)
	for _, p := range c.Problems {
		b.WriteString("  !! " + p + "\n")
	}
}

// text is how the import's satisfier reads: "host (wasi)", "provider
// keyvalue (bbolt, bucket counter)", "link -> kv-sender", "library NAME",
// "!! unsatisfied (why)".
func (s Satisfier) text() string {
	switch s.Kind {
	case ByHost:
		return "host (" + s.Name + ")"
	case ByProvider:
		if s.Detail != "" {
			return "provider " + s.Name + " (" + s.Detail + ")"
		}
		return "provider " + s.Name
	case ByLink:
		if s.Interface != "" {
			return "link -> " + inspect.Printable(s.Name) + " (" + inspect.Printable(s.Interface) + ")"
		}
		return "link -> " + inspect.Printable(s.Name)
	case ByLibrary:
		return "library " + inspect.Printable(s.Name)
	}
	if s.Detail != "" {
		return "!! unsatisfied (" + s.Detail + ")"
	}
	return "!! unsatisfied"
}

func (in *Instances) text() string {
	var parts []string
	add := func(name string, v any, set bool) {
		if set {
			parts = append(parts, fmt.Sprintf("%s %v", name, v))
		}
	}
	add("min", in.Min, in.Min != 0)
	add("max", in.Max, in.Max != 0)
	add("queue", in.Queue, in.Queue != 0)
	add("queue_timeout", in.QueueTimeout, in.QueueTimeout != "")
	add("idle_timeout", in.IdleTimeout, in.IdleTimeout != "")
	if in.Fresh {
		parts = append(parts, "fresh")
	}
	return strings.Join(parts, " ")
}

func names(ns []string) string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = inspect.Printable(n)
	}
	return strings.Join(out, ", ")
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// table lays out rows in columns two spaces apart; lines are printed as
// they are, between the rows, and do not count for the widths.
type table struct {
	rows []tableRow
}

type tableRow struct {
	prefix string
	cells  []string
	line   bool
}

func (t *table) row(prefix string, cells ...string) {
	t.rows = append(t.rows, tableRow{prefix: prefix, cells: cells})
}

func (t *table) line(s string) { t.rows = append(t.rows, tableRow{prefix: s, line: true}) }

func (t *table) write(b *strings.Builder) {
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
		var s strings.Builder
		s.WriteString(r.prefix)
		for i, c := range r.cells {
			if i > 0 {
				s.WriteString("  ")
			}
			s.WriteString(c + strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)))
		}
		b.WriteString(strings.TrimRight(s.String(), " ") + "\n")
	}
}
