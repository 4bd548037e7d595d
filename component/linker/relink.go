package linker

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/wasmhive/wasmhive/component"
	"github.com/wasmhive/wasmhive/internal/wasmbin"
)

// A core module instantiated with bundles among its arguments imports
// items that come from several instances under other names. Rather than
// instantiate a re-export module for each bundle on every component
// instantiation (a jco-adapted command has twenty of them), the linker
// renames the module's imports, once, to where each item comes from:
// module "i<n>" (core instance n) or "h" (the component's host module),
// under the item's own export name there. Instantiating it then links it
// straight to those instances.

// noRelink turns relinking off, for tests of the bundles' path (taken
// when a module's imports cannot be renamed).
var noRelink = false

// relinked is a core instantiation whose module's imports were renamed
// to their origins.
type relinked struct {
	wasm []byte
	// srcs are the core instances (or hostOrigin) its imports come from,
	// by import module name.
	srcs map[string]int
}

// relink renames the imports of module wasm, instantiated as ci with
// bundles bundled (their items' origins by export name, by core instance
// index), to their origins; ok is false when some import cannot be
// renamed (then the module is instantiated with the bundles as they are).
func relink(wasm []byte, ci *component.CoreInstance, bundled map[int]map[string]origin) (*relinked, bool) {
	args := map[string]uint32{}
	for _, a := range ci.Args {
		args[a.Name] = a.Instance
	}
	r := &relinked{srcs: map[string]int{}}
	out, err := renameImports(wasm, func(module, field string) (string, string, bool) {
		inst, ok := args[module]
		if !ok {
			return "", "", false
		}
		o := origin{inst: int(inst), name: field}
		if items, isBundle := bundled[int(inst)]; isBundle {
			if o, ok = items[field]; !ok {
				return "", "", false
			}
		}
		mod := hostModuleName
		if o.inst != hostOrigin {
			mod = "i" + strconv.Itoa(o.inst)
		}
		r.srcs[mod] = o.inst
		return mod, o.name, true
	})
	if err != nil {
		return nil, false
	}
	r.wasm = out
	return r, true
}

var errNoRename = errors.New("an import cannot be renamed")

// renameImports returns a copy of core module wasm whose imports are
// renamed by rename (given each import's module and field names, it
// returns the new ones, or false to give up); everything else is kept
// byte for byte.
func renameImports(wasm []byte, rename func(module, field string) (string, string, bool)) ([]byte, error) {
	if len(wasm) < 8 || !wasmbin.HasMagic(wasm) {
		return nil, errors.New("not a core module")
	}
	pos := 8
	for pos < len(wasm) {
		start := pos
		id := wasm[pos]
		size, n, err := readU32(wasm[pos+1:])
		if err != nil {
			return nil, err
		}
		body := pos + 1 + n
		end := body + int(size)
		if end > len(wasm) || end < body {
			return nil, errors.New("section out of bounds")
		}
		pos = end
		if id != wasmbin.SectionImport {
			continue
		}
		imports, err := renameSection(wasm[body:end], rename)
		if err != nil {
			return nil, err
		}
		out := make([]byte, 0, len(wasm)+len(imports)-int(size)+8)
		out = append(out, wasm[:start]...)
		out = append(out, wasmbin.SectionImport)
		out = appendU32(out, uint32(len(imports)))
		out = append(out, imports...)
		return append(out, wasm[end:]...), nil
	}
	return wasm, nil
}

// renameSection re-encodes an import section's contents with the names
// rename gives.
func renameSection(sec []byte, rename func(module, field string) (string, string, bool)) ([]byte, error) {
	r := wasmbin.NewReader(sec, 0)
	n, err := r.Count("import", 4)
	if err != nil {
		return nil, err
	}
	out := appendU32(make([]byte, 0, len(sec)+64), uint32(n))
	for range n {
		module, err := r.Name()
		if err != nil {
			return nil, err
		}
		field, err := r.Name()
		if err != nil {
			return nil, err
		}
		at := r.Offset()
		k, err := r.Byte()
		if err != nil {
			return nil, err
		}
		switch k {
		case 0x00: // func
			_, err = r.U32()
		case 0x01:
			_, err = r.Table()
		case 0x02:
			_, err = r.Memory()
		case 0x03:
			_, err = r.GlobalType()
		case 0x04:
			_, err = r.Tag()
		default:
			err = fmt.Errorf("import kind 0x%02x", k)
		}
		if err != nil {
			return nil, err
		}
		nm, nf, ok := rename(module, field)
		if !ok {
			return nil, errNoRename
		}
		out = appendName(out, nm)
		out = appendName(out, nf)
		out = append(out, sec[at:r.Offset()]...)
	}
	if !r.EOF() {
		return nil, errors.New("import section has bytes after its imports")
	}
	return out, nil
}

// readU32 reads an unsigned LEB128 u32 and returns how many bytes it took.
func readU32(b []byte) (uint32, int, error) {
	var v uint32
	for i := 0; i < 5 && i < len(b); i++ {
		v |= uint32(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			return v, i + 1, nil
		}
	}
	return 0, 0, errors.New("malformed LEB128 u32")
}
