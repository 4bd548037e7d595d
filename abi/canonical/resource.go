package canonical

import (
	"context"
	"fmt"
)

// ResourceType is a resource type at run time: one per resource type
// definition and instantiation (resource types are generative), compared by
// pointer. The linker maps each static *component.ResourceType to one
// (see Options.Resource).
type ResourceType struct {
	// Name names the type in error messages.
	Name string
	// Impl is the component instance that implements the resource (whose
	// resource.new made its representations), or nil for a resource
	// implemented by the host.
	Impl *Instance
	// Dtor, when not nil, runs when an owned handle to the resource is
	// dropped with resource.drop; it receives the representation. For a
	// resource a component implements, it calls the component's destructor.
	Dtor func(ctx context.Context, rep uint32) error
}

// String returns the type's name for messages.
func (rt *ResourceType) String() string {
	if rt == nil {
		return "<nil>"
	}
	if rt.Name == "" {
		return "resource"
	}
	return rt.Name
}

// handle is an entry of a handle table (CanonicalABI.md ResourceHandle).
type handle struct {
	rt    *ResourceType
	rep   uint32
	own   bool
	used  bool
	lends uint32
	scope *Call // for a borrow lowered into an export call: that call
}

// Instance is the canonical ABI state of one component instance: its
// handle table (CanonicalABI.md ComponentInstance.handles: index 0 is
// reserved, freed indices are reused last-freed first) and its calls in
// progress. An Instance is not safe for concurrent use: a component
// instance runs one call at a time.
type Instance struct {
	// MaxHandles caps the handle table (0: DefaultMaxHandles), so that a
	// component making handles in a loop (each may hold a host object)
	// traps instead of growing the host without bound.
	MaxHandles int

	handles []handle
	free    []uint32
	calls   []*Call // pooled calls; the first ncalls are in progress
	ncalls  int
	pool    liftPool // chunks shared by the values lifted from and into the instance
}

// NewInstance returns the state of a new component instance, with an
// empty handle table.
func NewInstance() *Instance {
	return &Instance{handles: make([]handle, 1, 16)}
}

// NumHandles is the number of handles in the table.
func (inst *Instance) NumHandles() int {
	n := 0
	for _, h := range inst.handles {
		if h.used {
			n++
		}
	}
	return n
}

func (inst *Instance) add(h handle) (uint32, error) {
	h.used = true
	if n := len(inst.free); n > 0 {
		i := inst.free[n-1]
		inst.free = inst.free[:n-1]
		inst.handles[i] = h
		return i, nil
	}
	i := len(inst.handles)
	limit := inst.MaxHandles
	if limit <= 0 {
		limit = DefaultMaxHandles
	}
	if i > min(limit, MaxHandles) {
		return 0, fmt.Errorf("handle table is full (%d handles)", min(limit, MaxHandles))
	}
	inst.handles = append(inst.handles, h)
	return uint32(i), nil
}

// get returns handle i of type rt.
func (inst *Instance) get(i uint32, rt *ResourceType) (*handle, error) {
	if i == 0 || uint64(i) >= uint64(len(inst.handles)) || !inst.handles[i].used {
		return nil, fmt.Errorf("handle %d is not in the table", i)
	}
	h := &inst.handles[i]
	if h.rt != rt {
		return nil, fmt.Errorf("handle %d is a %s, want %s", i, h.rt, rt)
	}
	return h, nil
}

func (inst *Instance) remove(i uint32) {
	inst.handles[i] = handle{}
	inst.free = append(inst.free, i)
}

// ResourceNew is canon resource.new: it adds an owned handle to rep, of
// resource type rt (one this instance implements), and returns its index.
func (inst *Instance) ResourceNew(rt *ResourceType, rep uint32) (uint32, error) {
	if rt == nil {
		return 0, &Error{Op: "resource.new", Msg: "no resource type"}
	}
	i, err := inst.add(handle{rt: rt, rep: rep, own: true})
	if err != nil {
		return 0, &Error{Op: "resource.new", Type: rt.String(), Msg: err.Error()}
	}
	return i, nil
}

// ResourceRep is canon resource.rep: the representation of handle i,
// which must be a handle of type rt.
func (inst *Instance) ResourceRep(rt *ResourceType, i uint32) (uint32, error) {
	h, err := inst.get(i, rt)
	if err != nil {
		return 0, &Error{Op: "resource.rep", Type: rt.String(), Msg: err.Error()}
	}
	return h.rep, nil
}

// ResourceDrop is canon resource.drop (synchronous): it removes handle i,
// of type rt. For an owned handle it runs rt's destructor (its error is
// returned wrapped, as the trap it is); for a borrowed one it ends the
// borrow in its call. A handle that is lent out to a call in progress
// cannot be dropped.
func (inst *Instance) ResourceDrop(ctx context.Context, rt *ResourceType, i uint32) error {
	h, err := inst.get(i, rt)
	if err != nil {
		return &Error{Op: "resource.drop", Type: rt.String(), Msg: err.Error()}
	}
	if h.lends != 0 {
		return &Error{Op: "resource.drop", Type: rt.String(), Msg: fmt.Sprintf("handle %d is lent to %d calls in progress", i, h.lends)}
	}
	own, rep, scope := h.own, h.rep, h.scope
	inst.remove(i)
	if !own {
		if scope != nil {
			scope.borrows--
		}
		return nil
	}
	if rt.Dtor != nil {
		if err := rt.Dtor(ctx, rep); err != nil {
			return &Error{Op: "resource.drop", Type: rt.String(), Msg: fmt.Sprintf("destructor of rep %d", rep), Err: err}
		}
	}
	return nil
}

// Call is one call in progress across the boundary of an instance:
// an export call into it (BeginExport), which scopes the borrowed handles
// lowered into it, or an import call out of it (BeginImport), which
// tracks the handles it lends out. Lifting and lowering a call's values
// take its Call; End finishes it.
type Call struct {
	inst    *Instance
	export  bool
	borrows int      // export call: borrowed handles lowered into it, not yet dropped
	lenders []uint32 // import call: the handles lent for its duration
}

func (inst *Instance) begin(export bool) *Call {
	if inst.ncalls == len(inst.calls) {
		inst.calls = append(inst.calls, &Call{inst: inst})
	}
	c := inst.calls[inst.ncalls]
	inst.ncalls++
	c.export, c.borrows, c.lenders = export, 0, c.lenders[:0]
	return c
}

// BeginExport starts a call of one of the instance's exports (the
// canon lift side: the host, or another instance, calls into it).
func (inst *Instance) BeginExport() *Call { return inst.begin(true) }

// BeginImport starts a call of one of the instance's imports (the canon
// lower side: the instance calls out).
func (inst *Instance) BeginImport() *Call { return inst.begin(false) }

// Instance is the instance the call enters or leaves.
func (c *Call) Instance() *Instance { return c.inst }

// End finishes the call; end calls in the reverse order of their Begin,
// also after errors. For an export call, it is an error (a trap) for
// borrowed handles to remain undropped: call End after lifting the result
// and before post-return. For an import call, End returns the handles it
// lent (call it after lowering the result).
func (c *Call) End() error {
	inst := c.inst
	if inst.ncalls == 0 || inst.calls[inst.ncalls-1] != c {
		return &Error{Op: "end call", Msg: "the call is not the innermost call in progress of its instance"}
	}
	inst.ncalls--
	for _, i := range c.lenders {
		if h := &inst.handles[i]; h.used && h.lends > 0 {
			h.lends--
		}
	}
	c.lenders = c.lenders[:0]
	if c.export && c.borrows != 0 {
		n := c.borrows
		c.borrows = 0
		// The handles must not outlive their scope.
		for i := range inst.handles {
			if inst.handles[i].used && inst.handles[i].scope == c {
				inst.remove(uint32(i))
			}
		}
		return &Error{Op: "end call", Msg: fmt.Sprintf("%d borrowed handles still remain at the end of the call", n)}
	}
	return nil
}
