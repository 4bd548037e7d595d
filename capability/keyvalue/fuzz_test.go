package keyvalue_test

import (
	"context"
	"testing"

	"github.com/wasmhive/wasmhive/capability/keyvalue"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/capwire"
)

// FuzzHostCall: whatever bytes a guest passes, every keyvalue function
// answers with a well-formed reply of its documented shape, or ends the
// call at a limit; it never panics otherwise.
func FuzzHostCall(f *testing.F) {
	list := capwire.AppendList(nil, [][]byte{[]byte("a"), []byte("b")})
	pairs := capwire.AppendBytes(capwire.AppendBytes(capwire.AppendU32(nil, 1), []byte("a")), []byte("1"))
	i64 := capwire.AppendI64(nil, 5)
	for i := range keyvalue.FunctionNames() {
		f.Add(uint8(i), []byte("k"), []byte("v"), []byte(""))
		f.Add(uint8(i), list, i64, []byte("x"))
		f.Add(uint8(i), pairs, []byte(""), []byte("w"))
		f.Add(uint8(i), []byte("\xff\xff\xff\xff"), []byte("\x01\x00\x00"), []byte("k"))
	}
	b := &keyvalue.Binding{Bucket: boltBucket(f), MaxValueBytes: 64, MaxKeysPerCall: 8}
	names := keyvalue.FunctionNames()
	f.Fuzz(func(t *testing.T, fn uint8, a1, a2, a3 []byte) {
		name := names[int(fn)%len(names)]
		defer func() {
			// A limit passed ends the call: the host function panics with
			// an *engine.LimitError, and with nothing else.
			if r := recover(); r != nil {
				if _, ok := r.(*engine.LimitError); !ok {
					panic(r)
				}
			}
		}()
		reply, _, _ := keyvalue.HostCall(context.Background(), b, name, [][]byte{a1, a2, a3})
		status, p, err := capwire.ParseReply(reply)
		if err != nil {
			t.Fatalf("%s: malformed reply %q", name, reply)
		}
		if status == capwire.StatusError {
			if len(p) == 0 {
				t.Fatalf("%s: an ERROR reply without a message", name)
			}
			return
		}
		if status == capwire.StatusNone && name != "get" {
			t.Fatalf("%s: NONE reply", name)
		}
		r := capwire.NewReader(p)
		switch name {
		case "exists", "compare_and_swap":
			if len(p) != 1 || p[0] > 1 {
				t.Fatalf("%s: payload %q, want one 0/1 byte", name, p)
			}
		case "increment":
			if len(p) != 8 {
				t.Fatalf("increment: payload of %d bytes", len(p))
			}
		case "set", "delete", "set_many", "delete_many":
			if len(p) != 0 {
				t.Fatalf("%s: payload %q, want none", name, p)
			}
		case "list_keys":
			r.Bytes()
			r.List()
			if r.Err() != nil || r.Len() != 0 {
				t.Fatalf("list_keys: malformed payload %q", p)
			}
		case "get_many":
			for r.Len() > 0 && r.Err() == nil {
				if f := r.Byte(); f > 1 {
					t.Fatalf("get_many: found flag %d", f)
				}
				r.Bytes()
			}
			if r.Err() != nil {
				t.Fatalf("get_many: malformed payload %q", p)
			}
		}
	})
}
