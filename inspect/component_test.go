package inspect_test

// Helpers that write small Component Model binaries byte by byte
// (wasm-tools is not available to build them from text).

func leb(b []byte, v uint64) []byte {
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

func str(s string) []byte { return append(leb(nil, uint64(len(s))), s...) }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func section(id byte, content ...[]byte) []byte {
	c := cat(content...)
	return append(leb([]byte{id}, uint64(len(c))), c...)
}

var componentHeader = []byte{0x00, 'a', 's', 'm', 0x0d, 0x00, 0x01, 0x00}

// coreRun is a core module exporting a function "run" and a memory.
var coreRun = cat([]byte("\x00asm\x01\x00\x00\x00"),
	section(1, []byte{0x01, 0x60, 0x00, 0x00}),
	section(3, []byte{0x01, 0x00}),
	section(5, []byte{0x01, 0x00, 0x01}),
	section(7, []byte{0x02}, str("run"), []byte{0x00, 0x00}, str("memory"), []byte{0x02, 0x00}),
	section(10, []byte{0x01, 0x02, 0x00, 0x0b}),
)

// testComponent embeds coreRun, instantiates it, lifts and exports its
// "run" function, and imports two WASI 0.2 interfaces.
func testComponent() []byte {
	return cat(componentHeader,
		section(1, coreRun),
		section(2, []byte{0x01, 0x00, 0x00, 0x00}),
		section(6, []byte{0x01, 0x00, 0x00, 0x01, 0x00}, str("run")),
		section(7, []byte{0x02, 0x42, 0x00, 0x40, 0x00, 0x01, 0x00}),
		section(10, []byte{0x02},
			[]byte{0x01}, str("wasi:cli/environment@0.2.0"), []byte{0x05, 0x00},
			[]byte{0x01}, str("wasi:cli/stdout@0.2.0"), []byte{0x05, 0x00}),
		section(8, []byte{0x01, 0x00, 0x00, 0x00, 0x00, 0x01}),
		section(11, []byte{0x01, 0x00}, str("run"), []byte{0x01, 0x00, 0x00}),
		section(0, str("producers"), []byte{0x00}),
	)
}

// componentImporting is a component that only imports the named instances.
func componentImporting(names ...string) []byte {
	imports := leb(nil, uint64(len(names)))
	for _, n := range names {
		imports = cat(imports, []byte{0x01}, str(n), []byte{0x05, 0x00})
	}
	return cat(componentHeader, section(7, []byte{0x01, 0x42, 0x00}), section(10, imports))
}
