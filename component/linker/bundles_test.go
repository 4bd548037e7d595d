package linker_test

import (
	"context"
	"testing"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/engine"
)

// TestBundlesPath runs types.wasm, whose core instantiations take bundled
// core instances (its host imports, renamed), both ways: relinked (the
// modules' imports renamed to the items' origins, no bundle compiled) and
// with relinking off, through the bundles' re-export modules, as for a
// module whose imports cannot be renamed.
func TestBundlesPath(t *testing.T) {
	ctx := context.Background()
	rt := newRuntime(t)
	for _, relink := range []bool{true, false} {
		was := linker.SetRelink(relink)
		c := compileFile(t, rt, "../../testdata/components/types.wasm")
		linker.SetRelink(was)
		relinked, bundles := linker.Linking(c)
		if relink && (relinked == 0 || bundles != 0) {
			t.Errorf("relinking: %d instantiations relinked, %d bundles compiled", relinked, bundles)
		}
		if !relink && (relinked != 0 || bundles == 0) {
			t.Errorf("relinking off: %d instantiations relinked, %d bundles compiled", relinked, bundles)
		}
		l := linker.New()
		h := &testHost{blobs: map[uint32][]byte{}}
		h.define(l)
		inst, err := l.Instantiate(ctx, c, engine.InstanceConfig{})
		if err != nil {
			t.Fatalf("relink %v: %v", relink, err)
		}
		got := call(t, inst, "describe", canonical.Record{int32(1), int32(-2), "héllo"}, canonical.Enum(2), canonical.Flags(5))
		if want := "héllo|1,-2|c2|f5|h-7,9,host|b6,1"; got != want {
			t.Errorf("relink %v: describe = %q, want %q", relink, got, want)
		}
		if len(h.logs) != 1 || len(h.dropped) != 1 {
			t.Errorf("relink %v: host log %q, dropped %v", relink, h.logs, h.dropped)
		}
		inst.Close(ctx)
		c.Close(ctx)
	}
}
