package canonical

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive/component"
)

// generic returns f with its UTF-8 fast paths turned off: it lifts and
// lowers strings by the general code for every encoding.
func generic(f *Func) *Func {
	g := *f
	g.utf8 = false
	return &g
}

// outcome is what a lifting or lowering gave, for comparing two paths.
func outcome(v any, err error) string {
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return fmt.Sprintf("non-*Error %T: %v", err, err)
		}
		return "error: " + err.Error()
	}
	return fmt.Sprintf("%#v", v)
}

// TestFastLiftAgrees lifts strings (flat, in a record through memory and
// as elements of a list<string>) by the fast paths and by the general
// code, from every kind of range: short ASCII, short and long non-ASCII,
// invalid UTF-8, empty at 0 and at the end of memory, out of bounds,
// misaligned lists, and without a memory. Values and errors must be the
// same, and the same as lifting each element as a string.
func TestFastLiftAgrees(t *testing.T) {
	g := newGuest(t)
	ctx := context.Background()
	size := g.mem.Size()
	texts := map[uint32]string{
		0x100: "ada",
		0x140: strings.Repeat("x", shortText),
		0x180: strings.Repeat("y", shortText+1),
		0x1c0: "héllo",
		0x200: "\xff\xfe",
		0x210: "ok\x80",
		0x220: strings.Repeat("z", shortText-1) + "\xc3",
		0x280: "\xed\xa0\x80", // an encoded surrogate
		0x300: strings.Repeat("é", 40),
	}
	for p, s := range texts {
		g.write(t, p, []byte(s))
	}
	type rng struct{ ptr, n uint32 }
	var ranges []rng
	for p, s := range texts {
		for _, n := range []uint32{0, 1, uint32(len(s)) - 1, uint32(len(s))} {
			ranges = append(ranges, rng{p, n})
		}
	}
	ranges = append(ranges,
		rng{0, 0}, rng{0, 3}, rng{size, 0}, rng{size - 1, 1}, rng{size - 2, 3},
		rng{size, 1}, rng{size + 1, 0}, rng{0xffffffff, 2}, rng{0x100, 1 << 28}, rng{0x100, shortText + 1})

	s := prim(component.String)
	for _, opts := range []Options{g.opts(component.UTF8), {StringEncoding: component.UTF8}} {
		flat, err := NewFunc(fn(nil, s), opts)
		if err != nil {
			t.Fatal(err)
		}
		spilled, err := NewFunc(fn(record(s, list(s), s)), opts)
		if err != nil {
			t.Fatal(err)
		}
		lists, err := NewFunc(fn(nil, list(s)), opts)
		if err != nil {
			t.Fatal(err)
		}
		liftFlat := func(f *Func, r rng) string {
			v, err := f.LiftArgs(ctx, NewInstance().BeginImport(), []uint64{uint64(r.ptr), uint64(r.n)}, nil)
			if err == nil {
				return outcome(v[0], nil)
			}
			return outcome(nil, err)
		}
		for _, r := range ranges {
			if a, b := liftFlat(flat, r), liftFlat(generic(flat), r); a != b {
				t.Errorf("memory %v, string (0x%x, %d): fast %s, general %s", opts.Memory != nil, r.ptr, r.n, a, b)
			}
		}
		if opts.Memory == nil {
			continue
		}
		// The record through memory and the list's array, at 0x800: for
		// each range r, entry{r, [r, r2], r2} with r2 a fixed good string.
		for _, r := range ranges {
			const area, arr = 0x800, 0x820
			var w [24]byte
			fields := []uint32{r.ptr, r.n, arr, 2, 0x100, 3}
			for i, x := range fields {
				binary.LittleEndian.PutUint32(w[4*i:], x)
			}
			g.write(t, area, w[:])
			var a [16]byte
			for i, x := range []uint32{r.ptr, r.n, 0x100, 3} {
				binary.LittleEndian.PutUint32(a[4*i:], x)
			}
			g.write(t, arr, a[:])
			liftRec := func(f *Func) string {
				return outcome(f.LiftResult(ctx, NewInstance().BeginExport(), []uint64{area}))
			}
			if a, b := liftRec(spilled), liftRec(generic(spilled)); a != b {
				t.Errorf("entry with string (0x%x, %d): fast %s, general %s", r.ptr, r.n, a, b)
			}
			liftList := func(f *Func, ptr, n uint32) string {
				v, err := f.LiftArgs(ctx, NewInstance().BeginImport(), []uint64{uint64(ptr), uint64(n)}, nil)
				if err == nil {
					return outcome(v[0], nil)
				}
				return outcome(nil, err)
			}
			for _, at := range []rng{{arr, 2}, {arr + 2, 1}, {size - 8, 2}} {
				if a, b := liftList(lists, at.ptr, at.n), liftList(generic(lists), at.ptr, at.n); a != b {
					t.Errorf("list<string> (0x%x, %d) with string (0x%x, %d): fast %s, general %s", at.ptr, at.n, r.ptr, r.n, a, b)
				}
			}
			// Element by element, as strings.
			want := outcome(List{}, nil)
			var elems List
			for _, e := range []rng{r, {0x100, 3}} {
				v, err := flat.LiftArgs(ctx, NewInstance().BeginImport(), []uint64{uint64(e.ptr), uint64(e.n)}, nil)
				if err != nil {
					want = outcome(nil, err)
					break
				}
				elems = append(elems, v[0])
				want = outcome(elems, nil)
			}
			if got := liftList(lists, arr, 2); got != want {
				t.Errorf("list<string> with string (0x%x, %d): %s, its strings lift as %s", r.ptr, r.n, got, want)
			}
		}
	}
}

// TestFastLowerAgrees lowers strings (flat, as the elements of a
// list<string> and as fields of a record) by the fast paths and by the general code, with a
// realloc that works, one that fails, and ones that return out of bounds
// or misaligned pointers: the core values, the bytes in memory, the
// realloc calls and the errors must be the same.
func TestFastLowerAgrees(t *testing.T) {
	g := newGuest(t)
	ctx := context.Background()
	size := g.mem.Size()
	values := []Value{"", "a", "ada", strings.Repeat("x", shortText), strings.Repeat("x", shortText+1), "héllo", "\xff", "ok\x80", 7}
	type call struct{ old, oldSize, align, newSize uint32 }
	reallocs := map[string]func(*[]call) Realloc{
		"guest": func(calls *[]call) Realloc {
			return func(ctx context.Context, old, oldSize, align, newSize uint32) (uint32, error) {
				*calls = append(*calls, call{old, oldSize, align, newSize})
				return g.realloc(ctx, old, oldSize, align, newSize)
			}
		},
		"failing": func(calls *[]call) Realloc {
			return func(context.Context, uint32, uint32, uint32, uint32) (uint32, error) { return 0, errors.New("boom") }
		},
		"out of bounds": func(calls *[]call) Realloc {
			return func(context.Context, uint32, uint32, uint32, uint32) (uint32, error) { return size - 1, nil }
		},
		"misaligned": func(calls *[]call) Realloc {
			return func(context.Context, uint32, uint32, uint32, uint32) (uint32, error) { return 0x401, nil }
		},
	}
	s := prim(component.String)
	for name, mk := range reallocs {
		for _, vt := range []*component.ValueType{s, list(s), record(s, s)} {
			for _, v := range values {
				arg := v
				switch vt.Kind {
				case component.List:
					arg = List{"ab", v}
				case component.Record:
					arg = Record{"ab", v}
				}
				lower := func(fast bool) string {
					g.reset(t)
					var calls []call
					opts := g.opts(component.UTF8)
					opts.Realloc = mk(&calls)
					f, err := NewFunc(fn(nil, vt), opts)
					if err != nil {
						t.Fatal(err)
					}
					if !fast {
						f = generic(f)
					}
					flat, err := f.LowerArgs(ctx, NewInstance().BeginExport(), []Value{arg}, nil)
					out := outcome(flat, err) + fmt.Sprintf(" calls %v", calls)
					if err == nil {
						out += fmt.Sprintf(" memory %x", g.read(t, 0x400, 0x80))
					}
					return out
				}
				if a, b := lower(true), lower(false); a != b {
					t.Errorf("%s realloc, %s %#v: fast %s, general %s", name, vt, arg, a, b)
				}
			}
		}
	}
}

// TestFits: fits accepts exactly the ranges check accepts, except the
// empty range at 0 and any without a memory, which it leaves to check.
func TestFits(t *testing.T) {
	g := newGuest(t)
	size := g.mem.Size()
	for _, opts := range []Options{g.opts(component.UTF8), {}} {
		f, err := NewFunc(fn(nil, prim(component.String)), opts)
		if err != nil {
			t.Fatal(err)
		}
		var c cx
		c.init(f, context.Background(), nil)
		c.refresh()
		for _, ptr := range []uint32{0, 1, 2, 4, size - 4, size - 1, size, size + 1, 0xffffffff} {
			for _, n := range []uint64{0, 1, 4, MaxStringByteLength} {
				for _, align := range []uint32{1, 2, 4, 8} {
					checked := c.check(argsLayout, "lift", ptr, n, align) == nil
					if fits := c.fits(ptr, n, align); fits && !checked || !fits && checked && (ptr != 0 || n != 0) {
						t.Errorf("memory %v: fits(0x%x, %d, %d) = %v, check accepts: %v", opts.Memory != nil, ptr, n, align, fits, checked)
					}
				}
			}
		}
	}
}
