package canonical

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/wasmhive/wasmhive/component"
)

var benchValue = Record{"content-type", "application/json; charset=utf-8", List{"gzip", "deflate", "br", "zstd"}}

// BenchmarkRecordRoundTrip lowers a record{string, string, list<string>}
// into a guest (as an export's argument, through the guest's wasm realloc)
// and lifts it back (as an import's argument).
func BenchmarkRecordRoundTrip(b *testing.B) {
	g := newGuest(b)
	ctx := context.Background()
	s := prim(component.String)
	f, err := NewFunc(fn(nil, record(s, s, list(s))), g.opts(component.UTF8))
	if err != nil {
		b.Fatal(err)
	}
	inst := NewInstance()
	args := []Value{benchValue}
	flat := make([]uint64, 0, 8)
	out := make([]Value, 0, 1)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if i++; i%10000 == 0 {
			g.reset(b)
		}
		c := inst.BeginExport()
		flat, err = f.LowerArgs(ctx, c, args, flat[:0])
		if err != nil {
			b.Fatal(err)
		}
		ic := inst.BeginImport()
		out, err = f.LiftArgs(ctx, ic, flat, out[:0])
		if err != nil {
			b.Fatal(err)
		}
		ic.End()
		c.End()
	}
	if !same(out[0], benchValue) {
		b.Fatalf("round trip gave %#v", out[0])
	}
}

// BenchmarkRecordRaw is the baseline of BenchmarkRecordRoundTrip: the same
// allocations through the guest's realloc and the same bytes written and
// read back into Go strings, by hand, without the canonical ABI.
func BenchmarkRecordRaw(b *testing.B) {
	g := newGuest(b)
	ctx := context.Background()
	strs := []string{benchValue[0].(string), benchValue[1].(string)}
	for _, x := range benchValue[2].(List) {
		strs = append(strs, x.(string))
	}
	var table [8]uint32
	got := make([]string, len(strs))
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if i++; i%10000 == 0 {
			g.reset(b)
		}
		lp, _ := g.realloc(ctx, 0, 0, 4, 8*uint32(len(strs)-2))
		for j, s := range strs {
			p, err := g.realloc(ctx, 0, 0, 1, uint32(len(s)))
			if err != nil {
				b.Fatal(err)
			}
			g.mem.WriteString(p, s)
			table[j] = p
		}
		var lb [32]byte
		for j := range strs[2:] {
			binary.LittleEndian.PutUint32(lb[8*j:], table[j+2])
			binary.LittleEndian.PutUint32(lb[8*j+4:], uint32(len(strs[j+2])))
		}
		g.mem.Write(lp, lb[:8*(len(strs)-2)])
		// Read back.
		for j := range strs[:2] {
			bs, _ := g.mem.Read(table[j], uint32(len(strs[j])))
			got[j] = string(bs)
		}
		lbs, _ := g.mem.Read(lp, 8*uint32(len(strs)-2))
		for j := range strs[2:] {
			p, n := binary.LittleEndian.Uint32(lbs[8*j:]), binary.LittleEndian.Uint32(lbs[8*j+4:])
			bs, _ := g.mem.Read(p, n)
			got[j+2] = string(bs)
		}
	}
	if got[5] != "zstd" {
		b.Fatal(got)
	}
}

// echoType is calc.wit's echo: func(e: entry) -> entry, with record entry
// {name: string, tags: list<string>, note: string}.
func echoType() *component.FuncType {
	s := prim(component.String)
	e := record(s, list(s), s)
	return fn(e, e)
}

var echoValue = Record{"ada", List{"math"}, "first"}

// newEcho returns a guest, echo's function type compiled for it (UTF-8)
// and an instance, for the echo benchmarks.
func newEcho(b *testing.B) (*guest, *Func, *Instance) {
	g := newGuest(b)
	f, err := NewFunc(echoType(), g.opts(component.UTF8))
	if err != nil {
		b.Fatal(err)
	}
	return g, f, NewInstance()
}

// BenchmarkEchoLower lowers echo's small entry (as the host calling the
// export does): four strings and the list's array through the guest's
// wasm realloc.
func BenchmarkEchoLower(b *testing.B) {
	g, f, inst := newEcho(b)
	ctx := context.Background()
	args := []Value{echoValue}
	flat := make([]uint64, 0, 8)
	var err error
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if i++; i%10000 == 0 {
			g.reset(b)
		}
		c := inst.BeginExport()
		if flat, err = f.LowerArgs(ctx, c, args, flat[:0]); err != nil {
			b.Fatal(err)
		}
		c.End()
	}
}

// BenchmarkEchoLift lifts echo's small entry as its result (from the
// return area the export returns a pointer to), without wasm calls.
func BenchmarkEchoLift(b *testing.B) {
	g, f, inst := newEcho(b)
	ctx := context.Background()
	c := inst.BeginExport()
	flat, err := f.LowerArgs(ctx, c, []Value{echoValue}, nil)
	if err != nil {
		b.Fatal(err)
	}
	c.End()
	ret, err := g.realloc(ctx, 0, 0, 4, 24)
	if err != nil {
		b.Fatal(err)
	}
	var area [24]byte
	for j, x := range flat {
		binary.LittleEndian.PutUint32(area[4*j:], uint32(x))
	}
	g.write(b, ret, area[:])
	res := []uint64{uint64(ret)}
	var v Value
	b.ReportAllocs()
	for b.Loop() {
		c := inst.BeginExport()
		if v, err = f.LiftResult(ctx, c, res); err != nil {
			b.Fatal(err)
		}
		c.End()
	}
	if !same(v, echoValue) {
		b.Fatalf("lifted %#v", v)
	}
}
