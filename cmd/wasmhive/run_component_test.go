package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestRunComponent checks the door for components: a valid one is refused
// (running components comes later), a malformed or invalid one fails with
// the decoder's one-line error; both exit 2.
func TestRunComponent(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.wasm")
	// A type section with an unknown defined type 0x55.
	if err := os.WriteFile(bad, []byte("\x00asm\x0d\x00\x01\x00\x07\x02\x01\x55"), 0o644); err != nil {
		t.Fatal(err)
	}
	invalid := filepath.Join(dir, "invalid.wasm")
	// An import named "Foo_bar", which is not a kebab-case label.
	if err := os.WriteFile(invalid, []byte("\x00asm\x0d\x00\x01\x00\x0a\x0c\x01\x00\x07Foo_bar\x03\x01"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		path  string
		parts []string
	}{
		{"valid", "../../testdata/components/cmd.wasm", []string{"cmd.wasm", "cannot run yet"}},
		{"malformed", bad, []string{"bad.wasm", "component: offset 0xb: section 7 (type): unknown defined type 0x55"}},
		{"invalid", invalid, []string{"invalid.wasm", "section 10 (import): invalid import name", "Foo_bar"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantOneLine(t, runCLI(t, nil, "run", tc.path), 2, tc.parts...)
		})
	}
}
