package wasip2_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/wasip2"
)

// TestProbeComponent runs testdata/probe (a component calling WASI 0.2.4
// directly, see probe.c) through the linker: its report shows that every
// value shape wasip2 returns lowers into the guest as the WIT says.
func TestProbeComponent(t *testing.T) {
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, engine.Config{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	wasm, err := os.ReadFile("testdata/probe/probe.wasm")
	if err != nil {
		t.Fatal(err)
	}
	c, err := linker.Compile(ctx, rt, "probe.wasm", wasm)
	if err != nil {
		t.Fatal(err)
	}
	l := linker.New()
	wasip2.Define(l)
	dir := t.TempDir()
	var out bytes.Buffer
	inst, err := l.Instantiate(ctx, c, engine.InstanceConfig{Stdout: &out, Preopens: []engine.Preopen{{HostPath: dir, GuestPath: "/work"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close(ctx)
	run, err := inst.Func("run")
	if err != nil {
		t.Fatal(err)
	}
	v, err := run.Call(t.Context())
	if err != nil {
		t.Fatalf("run: %v (stdout %q)", err, out.String())
	}
	if v != uint32(0) {
		t.Errorf("run = %v", v)
	}
	const want = `preopens 1 /work
get-flags ok 33
open-at ok
write ok 5
read ok ello end=1
stat ok type=6 links=1 size=5 times=111 mtime-recent
metadata-hash ok set
read-directory ok
entry ok type=6 f.txt
entry ok end
create-directory-at ok
create-directory-at again err 7
open-at .. err 31
read-via-stream ok
stream read lo
stream read closed
poll 1
wall-clock ok
seed ok
tcp err 1
`
	if out.String() != want {
		t.Errorf("report:\n%s\nwant:\n%s", out.String(), want)
	}
	if fi, err := os.Stat(filepath.Join(dir, "sub")); err != nil || !fi.IsDir() {
		t.Errorf("create-directory-at made no directory: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "f.txt")); string(b) != "hello" {
		t.Errorf("f.txt holds %q", b)
	}
}
