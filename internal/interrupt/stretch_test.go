package interrupt_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/internal/interrupt"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// sites runs wasm's f(arg), original and rewritten, compares the results,
// and returns how many check sites the rewritten call passed.
// Functions are built with testguest.Module: (i32) -> i32, f is function 0.
func sites(t *testing.T, wasm []byte, arg uint64) (int64, interrupt.Stats) {
	t.Helper()
	re, st, err := interrupt.RewriteStats(wasm)
	if err != nil {
		t.Fatal(err)
	}
	h := newHost(t)
	h.budget = 1 // every check site calls check
	ctx := context.Background()
	want, err := h.instantiate(t, wasm).ExportedFunction("f").Call(ctx, arg)
	if err != nil {
		t.Fatal(err)
	}
	m := h.instantiate(t, re)
	if g, ok := m.ExportedGlobal(interrupt.BudgetExport).(api.MutableGlobal); ok {
		g.Set(1)
	}
	got, err := m.ExportedFunction("f").Call(ctx, arg)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != want[0] {
		t.Fatalf("rewritten f(%d) = %d, original %d", arg, got[0], want[0])
	}
	return h.checks.Load(), st
}

// TestStretchCallsOfLeaf: a function that calls a small leaf (no loops,
// no calls, so no check of its own) from many call sites in a row passes
// a check site at least every MaxStretch bytes run. Before, it passed one:
// its entry check.
func TestStretchCallsOfLeaf(t *testing.T) {
	const leafAdds, calls = 100, 2000
	caller := testguest.Calls(1, calls)
	leaf := append([]byte{0x20, 0}, testguest.Adds(leafAdds)...)
	n, st := sites(t, testguest.Module(caller, leaf), 5)
	ran := calls * (2 + 3*leafAdds)
	if min := int64(ran / interrupt.MaxStretch); n < min {
		t.Errorf("%d check sites passed, want at least %d for %d bytes run (stats %+v)", n, min, ran, st)
	}
	if st.StretchChecks == 0 {
		t.Errorf("no stretch checks: %+v", st)
	}
}

// TestStretchLongLeaf: a leaf of 64 KiB of straight-line code is checked
// within itself.
func TestStretchLongLeaf(t *testing.T) {
	const n = 64 << 10 / 3
	body := append([]byte{0x20, 0}, testguest.Adds(n)...)
	got, st := sites(t, testguest.Module(body), 1)
	if min := int64(3 * n / interrupt.MaxStretch); got < min {
		t.Errorf("%d check sites passed, want at least %d (stats %+v)", got, min, st)
	}
}

// TestStretchBranches: the else path of an if whose then-branch has a loop
// (a check) still counts what came before the if. An analysis that took
// the body in order would reset at the loop and miss it.
func TestStretchBranches(t *testing.T) {
	const reps, pad = 12, 1500
	var body []byte
	body = append(body, 0x20, 0) // local.get 0: the result
	for range reps {
		body = append(body, bytes.Repeat([]byte{0x01}, pad)...) // nop
		body = append(body, 0x20, 0, 0x04, 0x40)                // local.get 0; if
		body = append(body, 0x03, 0x40, 0x0b)                   // loop; end
		body = append(body, 0x05, 0x0b)                         // else; end
	}
	got, st := sites(t, testguest.Module(body), 0)
	if min := int64(reps * pad / interrupt.MaxStretch); got < min {
		t.Errorf("%d check sites passed on the else path, want at least %d (stats %+v)", got, min, st)
	}
}

// TestStretchBlockExits: a branch out of a block carries its count to the
// block's end, and code after br is not counted.
func TestStretchBlockExits(t *testing.T) {
	const pad = 3000
	var body []byte
	body = append(body, 0x20, 0)    // local.get 0: the result
	body = append(body, 0x02, 0x40) // block
	body = append(body, bytes.Repeat([]byte{0x01}, pad)...)
	body = append(body, 0x20, 0, 0x0d, 0) // local.get 0; br_if 0
	body = append(body, 0x03, 0x40, 0x0b) // loop; end (a check)
	body = append(body, 0x0b)             // end
	body = append(body, bytes.Repeat([]byte{0x01}, pad)...)
	got, st := sites(t, testguest.Module(body), 1) // the branch is taken
	if got < 1 {
		t.Errorf("%d check sites passed along the branch out of the block, want at least 1 (stats %+v)", got, st)
	}
	// Unreachable code after br runs nothing: no check for it.
	dead := append([]byte{0x20, 0, 0x02, 0x40, 0x0c, 0}, bytes.Repeat([]byte{0x01}, 3*interrupt.MaxStretch)...)
	dead = append(dead, 0x0b)
	if _, st := sites(t, testguest.Module(dead), 1); st.StretchChecks != 0 {
		t.Errorf("unreachable code got %d stretch checks", st.StretchChecks)
	}
}

// TestStretchReturnTail: a function that calls others keeps what it runs
// after its last check site within MaxTail, so its callers can count it.
func TestStretchReturnTail(t *testing.T) {
	leaf := []byte{0x20, 0}
	f := append([]byte{0x20, 0, 0x10, 1}, bytes.Repeat([]byte{0x01}, 2*interrupt.MaxTail)...)
	if _, st := sites(t, testguest.Module(f, leaf), 1); st.StretchChecks == 0 {
		t.Errorf("a tail of %d bytes after the last check got no check: %+v", 2*interrupt.MaxTail, st)
	}
}
