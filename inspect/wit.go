package inspect

import (
	"fmt"
	"io"
	"strings"

	cm "github.com/wasmhive/wasmhive/component"
	"github.com/wasmhive/wasmhive/wit"
)

// WIT is the world a binary carries, recovered as WIT: a component's
// imports and exports (package root:component, world root), the world
// of a core module's component-type custom section, or the package a WIT
// package binary encodes (then World is absent), as `wasm-tools component
// wit` prints them.
type WIT struct {
	// Text is the WIT text: the world's package, then the packages of
	// the interfaces it uses.
	Text string `json:"text,omitempty"`
	// World is the world: its imports and exports.
	World *wit.World `json:"world,omitempty"`
	// Packages are every package of Text, dependencies first, with their
	// interfaces in full.
	Packages []*wit.Package `json:"packages,omitempty"`
	// Error says why the world could not be recovered (for example a
	// component that exports a type, which a world cannot express).
	Error string `json:"error,omitempty"`
}

// recoverWIT recovers the WIT of binary b: a component, or a core module
// (nil when it has no component-type section).
func recoverWIT(b []byte, isComponent bool) *WIT {
	var (
		r   *wit.Resolve
		w   *wit.World
		err error
	)
	if isComponent {
		var c *cm.Component
		if c, err = cm.Decode(b); err == nil && c.IsWITPackage() {
			var p *wit.Package
			if r, p, err = cm.DecodeWITPackage(b); err == nil {
				return &WIT{Text: wit.Print(r, p), Packages: r.Packages}
			}
		} else if err == nil {
			r, w, err = c.WIT()
		}
	} else {
		r, w, err = cm.ModuleWIT(b)
		if err == nil && w == nil {
			return nil
		}
	}
	if err != nil {
		return &WIT{Error: err.Error()}
	}
	return &WIT{Text: wit.Print(r, w.Package), World: w, Packages: r.Packages}
}

// writeText writes the WIT section of the text report.
func (x *WIT) writeText(w io.Writer) {
	if x == nil {
		return
	}
	if x.Error != "" {
		fmt.Fprintf(w, "\nwit: not recovered: %s\n", strings.ReplaceAll(x.Error, "\n", " "))
		return
	}
	fmt.Fprintf(w, "\nwit\n")
	for _, l := range strings.SplitAfter(strings.TrimRight(x.Text, "\n"), "\n") {
		if strings.TrimSpace(l) == "" {
			fmt.Fprint(w, "\n")
			continue
		}
		fmt.Fprint(w, "  "+l)
	}
	fmt.Fprint(w, "\n")
}
