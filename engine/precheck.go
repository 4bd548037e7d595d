package engine

import "github.com/wasmhive/wasmhive/internal/wasmbin"

// precheck decodes a core module's structure with wasmbin before wazero
// sees it. wazero v1.12 preallocates from counts it reads (vector lengths,
// name lengths, data segment sizes, local counts) before checking them
// against the bytes that remain, so 13 hostile bytes can make it allocate
// gigabytes and bring the whole process down (found by FuzzCompile).
// wasmbin bounds every count by the input's size and function locals by
// wasmbin.MaxFunctionLocals, and reports a *wasmbin.FormatError with the
// byte offset of the problem.
//
// It returns the bytes to give wazero: wasm itself, or wasm without trailing
// custom sections whose payload is empty, which wazero v1.12 cannot read at
// the very end of a module (it reports EOF for a valid module). Custom
// sections carry no semantics, so dropping empty ones changes nothing.
func precheck(wasm []byte) ([]byte, uint32, error) {
	m, err := wasmbin.ParseModule(wasm)
	if err != nil {
		return nil, 0, err
	}
	// The largest declared minimum of any memory, imported or defined,
	// exported or not (wazero's CompiledModule shows only exported ones).
	var minPages uint64
	for _, mem := range m.Memories {
		minPages = max(minPages, mem.Min)
	}
	for _, imp := range m.Imports {
		if imp.Kind == wasmbin.KindMemory {
			minPages = max(minPages, imp.Memory.Min)
		}
	}
	customs := m.CustomSections
	for i := len(m.Sections) - 1; i >= 0; i-- {
		s := m.Sections[i]
		if s.ID != wasmbin.SectionCustom || len(customs) == 0 {
			break
		}
		last := customs[len(customs)-1]
		if last.Size != 0 || last.Offset+last.Size != len(wasm) {
			break
		}
		wasm, customs = wasm[:s.Offset], customs[:len(customs)-1]
	}
	return wasm, uint32(min(minPages, 1<<32-1)), nil
}
