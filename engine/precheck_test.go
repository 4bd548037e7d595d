package engine_test

import (
	"context"
	"testing"

	"github.com/wasmhive/wasmhive/engine"
)

// TestCompileTrailingEmptyCustomSection: a valid module whose last section
// is a custom section with an empty payload loads (wazero v1.12 alone reads
// past the end of such a module and reports EOF).
func TestCompileTrailingEmptyCustomSection(t *testing.T) {
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, engine.Config{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	header := []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}
	emptyCustom := []byte{0x00, 0x02, 0x01, 'x'} // id 0, size 2: name "x", no payload
	// type section: one func type () -> (); function section: one function;
	// export section: "f"; code section: one empty body.
	body := []byte{
		0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
		0x03, 0x02, 0x01, 0x00,
		0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x00,
		0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
	}
	for name, wasm := range map[string][]byte{
		"only":     append(append([]byte{}, header...), emptyCustom...),
		"after":    append(append(append([]byte{}, header...), body...), emptyCustom...),
		"twice":    append(append(append(append([]byte{}, header...), body...), emptyCustom...), emptyCustom...),
		"in front": append(append(append([]byte{}, header...), emptyCustom...), body...),
	} {
		m, err := rt.Compile(ctx, name, wasm)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if name != "only" && !m.HasExport("f") {
			t.Errorf("%s: export f lost", name)
		}
	}
}
