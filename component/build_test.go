package component

// Helpers that hand-build component binaries for the validation tests.

func uleb(v uint32) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func bs(b ...byte) []byte { return b }

func str(s string) []byte { return cat(uleb(uint32(len(s))), []byte(s)) }

func vec(items ...[]byte) []byte { return cat(uleb(uint32(len(items))), cat(items...)) }

func sec(id byte, body ...[]byte) []byte {
	c := cat(body...)
	return cat(bs(id), uleb(uint32(len(c))), c)
}

// comp is a component binary of sections.
func comp(secs ...[]byte) []byte {
	return cat([]byte{0, 'a', 's', 'm', 0x0d, 0x00, 0x01, 0x00}, cat(secs...))
}

// Core value type codes.
const (
	i32 = 0x7f
	i64 = 0x7e
	f64 = 0x7c
)

// coreFunc is a core module function: its signature and export name.
type coreFunc struct {
	name            string
	params, results []byte
}

// coreModule is a core module exporting funcs (bodies: unreachable), a
// memory "mem" and, with realloc, "realloc" (i32 i32 i32 i32) -> i32.
func coreModule(realloc bool, funcs ...coreFunc) []byte {
	if realloc {
		funcs = append(funcs, coreFunc{"realloc", bs(i32, i32, i32, i32), bs(i32)})
	}
	var types, fidx, exports, code [][]byte
	for i, f := range funcs {
		types = append(types, cat(bs(0x60), vec(splitBytes(f.params)...), vec(splitBytes(f.results)...)))
		fidx = append(fidx, uleb(uint32(i)))
		exports = append(exports, cat(str(f.name), bs(0x00), uleb(uint32(i))))
		code = append(code, bs(0x03, 0x00, 0x00, 0x0b)) // size 3: no locals, unreachable, end
	}
	exports = append(exports, cat(str("mem"), bs(0x02, 0x00)))
	return cat([]byte{0, 'a', 's', 'm', 1, 0, 0, 0},
		sec(1, vec(types...)), sec(3, vec(fidx...)),
		sec(5, vec(bs(0x00, 0x01))), // one memory, min 1 page
		sec(7, vec(exports...)), sec(10, vec(code...)))
}

func splitBytes(b []byte) [][]byte {
	var out [][]byte
	for _, c := range b {
		out = append(out, []byte{c})
	}
	return out
}

// coreSetup is a core module section of funcs (and realloc), an
// instantiation of it, and core export aliases: core func i is funcs[i]
// (realloc last), core memory 0 is its memory.
func coreSetup(realloc bool, funcs ...coreFunc) []byte {
	names := []string{}
	for _, f := range funcs {
		names = append(names, f.name)
	}
	if realloc {
		names = append(names, "realloc")
	}
	var aliases [][]byte
	for _, n := range names {
		aliases = append(aliases, cat(bs(0x00, 0x00, 0x01, 0x00), str(n)))
	}
	aliases = append(aliases, cat(bs(0x00, 0x02, 0x01, 0x00), str("mem")))
	return cat(sec(1, coreModule(realloc, funcs...)),
		sec(2, vec(cat(bs(0x00, 0x00), vec()))),
		sec(6, vec(aliases...)))
}

// functype encodes (func (param name t)* (result r)?); r nil: no result.
func functype(params [][2][]byte, result []byte) []byte {
	var ps [][]byte
	for _, p := range params {
		ps = append(ps, cat(p[0], p[1]))
	}
	res := bs(0x01, 0x00)
	if result != nil {
		res = cat(bs(0x00), result)
	}
	return cat(bs(0x40), vec(ps...), res)
}

func param(name string, t ...byte) [2][]byte { return [2][]byte{str(name), t} }

// Component primitive value type codes.
const (
	tBool   = 0x7f
	tU32    = 0x79
	tS32    = 0x7a
	tU64    = 0x77
	tString = 0x73
)

func typeSec(types ...[]byte) []byte { return sec(7, vec(types...)) }

// lift is a canon section lifting core func f with opts to type t.
func lift(f, t uint32, opts ...[]byte) []byte {
	return sec(8, vec(cat(bs(0x00, 0x00), uleb(f), vec(opts...), uleb(t))))
}

func exportFunc(name string, idx uint32) []byte {
	return sec(11, vec(cat(bs(0x00), str(name), bs(0x01), uleb(idx), bs(0x00))))
}

func importSec(name string, desc ...byte) []byte {
	return sec(10, vec(cat(bs(0x00), str(name), desc)))
}
