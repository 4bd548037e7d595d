package engine_test

import (
	"bytes"
	"context"
	"runtime"
	"testing"

	"github.com/wasmhive/wasmhive/engine"
)

// threePages is a module with 3 pages of exported memory and nothing else.
var threePages = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
	0x05, 0x03, 0x01, 0x00, 0x03, // memory: min 3 pages
	0x07, 0x0a, 0x01, 0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00,
}

func TestReleaseMemory(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" && runtime.GOOS != "freebsd" {
		t.Skip("no reserved memories on", runtime.GOOS)
	}
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, engine.Config{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	m, err := rt.Compile(ctx, "three", threePages)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := rt.Instantiate(ctx, m, engine.InstanceConfig{MaxMemory: 8 * engine.PageSize})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close(ctx)
	mem := inst.Memory()
	all, _ := mem.Read(0, mem.Size())
	for i := range all {
		all[i] = 0xa5
	}
	// From the middle of page 1: rounded up to page 2.
	if !inst.ReleaseMemory(engine.PageSize + 100) {
		t.Fatal("ReleaseMemory = false for a reserved memory")
	}
	if mem.Size() != 3*engine.PageSize {
		t.Fatalf("size after release = %d, want 3 pages", mem.Size())
	}
	all, _ = mem.Read(0, mem.Size())
	if !bytes.Equal(all[:2*engine.PageSize], bytes.Repeat([]byte{0xa5}, 2*engine.PageSize)) {
		t.Fatal("the bytes before the released pages changed")
	}
	if !bytes.Equal(all[2*engine.PageSize:], make([]byte, engine.PageSize)) {
		t.Fatal("released pages do not read as zero")
	}
	// Still usable: written again, and past the end nothing to do.
	all[2*engine.PageSize] = 1
	if !inst.ReleaseMemory(10*engine.PageSize) || all[2*engine.PageSize] != 1 {
		t.Fatal("release past the end changed the memory")
	}
}
