package canonical

import (
	"strings"
	"testing"
)

// TestHandleLimit checks that a handle table stops at its cap with a
// clear error, and that freed handles are reused under it.
func TestHandleLimit(t *testing.T) {
	inst := NewInstance()
	inst.MaxHandles = 3
	rt := &ResourceType{Name: "r"}
	var hs []uint32
	for i := 0; i < 3; i++ {
		h, err := inst.ResourceNew(rt, uint32(i))
		if err != nil {
			t.Fatalf("handle %d: %v", i, err)
		}
		hs = append(hs, h)
	}
	if _, err := inst.ResourceNew(rt, 9); err == nil || !strings.Contains(err.Error(), "handle table is full (3 handles)") {
		t.Fatalf("4th handle: %v", err)
	}
	if err := inst.ResourceDrop(t.Context(), rt, hs[1]); err != nil {
		t.Fatal(err)
	}
	if h, err := inst.ResourceNew(rt, 9); err != nil || h != hs[1] {
		t.Fatalf("after a drop: handle %d, %v", h, err)
	}
	if NewInstance().MaxHandles != 0 {
		t.Fatal("a new instance has a cap of its own")
	}
}
