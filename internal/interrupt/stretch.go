package interrupt

import (
	"slices"
	"strings"
)

// Check sites at loop headers and function entries alone do not bound how
// long a guest runs between two of them: a function without loops or calls
// (which gets no check) can be megabytes of straight-line code, and a
// caller can call it from thousands of call sites in a row. So the rewrite
// also counts, along every path through a body, the bytes of code run since
// the last check site (an instruction's encoded size stands for its cost),
// and inserts a check site wherever a path would pass more than MaxStretch
// bytes without one:
//
//   - After a call of a function with an entry check (one that calls
//     others, or is longer than MaxTail), the count is what the callee can
//     run after its last check site, which the callee itself keeps within
//     MaxTail by a check before its returns.
//   - A call of a function without (a short leaf) adds the leaf's size.
//   - call_indirect and call_ref cost the largest head and tail of the
//     module's functions of the same type, and MaxTail after they return
//     when the module's tables can hold other modules' functions.
//   - A call of an imported function costs MaxTail after it returns: the
//     import may be another instrumented module's function.
//   - Control flow: a branch carries its count to the end of the block it
//     leaves (the end takes the largest of its incoming paths), a branch to
//     a loop reaches the loop header's check, code after an unconditional
//     branch is unreachable until the next end or else. An exception
//     handler is entered with MaxStretch (it may be reached from any
//     point of its try body or of a callee), so it begins with a check.
//
// The bound holds within a module; a call into another module's function
// that has no entry check (a short leaf) can add that function's own
// length (at most MaxTail) once, and a catch clause of try_table that
// returns from the function can add up to MaxStretch once.

const (
	// MaxStretch is the most bytes of code a path runs between two check
	// sites within a module.
	MaxStretch = 4096
	// MaxTail is the most bytes a function runs from its last check site to
	// its return.
	MaxTail = 2048
	// inlineCost is what an inlined Extism kernel call counts for: its
	// sequence of a few loads, compares and a store.
	inlineCost = 32
)

// bodyInfo is what a call of a defined function costs its caller.
type bodyInfo struct {
	entry bool // it has an entry check: every call passes a check site
	head  int  // bytes before its first check site (0 with an entry check)
	tail  int  // bytes after its last check site: at most its size or MaxTail, and once
	// it is rewritten, what its rewritten code runs (callers after it count that)
}

// entryCheck reports whether a body gets a check at its entry: when it
// calls others (a recursion must pass checks), or when it is longer than
// MaxTail (so that what a call of it runs before its first check stays
// small, and its callers need no check before each call; against the
// length of the body, the check costs nothing).
func entryCheck(calls bool, size int) bool { return calls || size > MaxTail }

// reach is what a call costs its caller: bytes before the callee's first
// check site and after its last.
type reach struct{ head, tail int }

// dead is a stretch count of unreachable code.
const dead = -1

// frame is an open block of a body: a block, loop, if, try or try_table;
// the function itself is the bottom frame.
type frame struct {
	kind    byte // fBody, fBlock, fLoop or fIf
	hasElse bool
	saved   int // at an if: the count on entry (the else path starts there)
	thenEnd int // at an if with else: the count at the end of the then-branch
	end     int // the largest count of the branches to the end of the block
}

const (
	fBody = iota
	fBlock
	fLoop
	fIf
)

// stretch tracks the count through one body.
type stretch struct {
	acc int // bytes since the last check site on any path here, or dead
	ctl []frame
}

func (s *stretch) reset() {
	s.acc = 0
	s.ctl = append(s.ctl[:0], frame{kind: fBody, end: dead})
}

// over reports whether a check site is needed before an instruction whose
// path runs need bytes (its own, and what a call runs up to its callee's
// first check site) and, when it returns from the function, tail bytes
// before the caller resumes (tail < 0: it does not return).
func (s *stretch) over(need, tail int) bool {
	if s.acc < 0 {
		return false
	}
	return s.acc+need > MaxStretch || (tail >= 0 && s.acc+tail > MaxTail)
}

// add counts n bytes run.
func (s *stretch) add(n int) {
	if s.acc >= 0 {
		s.acc += n
	}
}

func (s *stretch) push(kind byte) {
	s.ctl = append(s.ctl, frame{kind: kind, saved: s.acc, thenEnd: dead, end: dead})
}

// target returns the frame that label l names, or nil for a label out of
// range (the module is invalid; wazero refuses it).
func (s *stretch) target(l uint32) *frame {
	if uint64(l) >= uint64(len(s.ctl)) {
		return nil
	}
	return &s.ctl[len(s.ctl)-1-int(l)]
}

// returns reports whether label l is the function's own (a return).
func (s *stretch) returns(l uint32) bool { return uint64(l) == uint64(len(s.ctl)-1) }

// branch carries the count to the end of label l's block.
func (s *stretch) branch(l uint32) {
	if f := s.target(l); f != nil && f.kind != fLoop && f.kind != fBody {
		f.end = max(f.end, s.acc)
	}
}

// elseBranch starts the else-branch of the innermost if.
func (s *stretch) elseBranch() {
	f := &s.ctl[len(s.ctl)-1]
	if f.kind != fIf {
		return
	}
	f.hasElse, f.thenEnd = true, s.acc
	s.acc = f.saved
}

// handler starts an exception handler (catch, catch_all) of the innermost
// try: the try body falls through to its end.
func (s *stretch) handler() {
	f := &s.ctl[len(s.ctl)-1]
	f.end = max(f.end, s.acc)
	s.acc = MaxStretch
}

// thrownTo marks label l as a catch clause's target.
func (s *stretch) thrownTo(l uint32) {
	if f := s.target(l); f != nil && f.kind != fLoop && f.kind != fBody {
		f.end = MaxStretch
	}
}

// end closes the innermost block (end, or delegate for a try).
func (s *stretch) end() {
	if len(s.ctl) <= 1 {
		return
	}
	f := s.ctl[len(s.ctl)-1]
	s.ctl = s.ctl[:len(s.ctl)-1]
	switch f.kind {
	case fBlock:
		s.acc = max(s.acc, f.end)
	case fIf:
		if f.hasElse {
			s.acc = max(s.acc, f.thenEnd, f.end)
		} else {
			s.acc = max(s.acc, f.saved, f.end)
		}
	}
}

// scanCode reads every body for what a call of it costs (see bodyInfo),
// and what an indirect call of each function type costs. A body it cannot
// decode counts as a leaf of MaxStretch bytes; the rewrite reports the
// error.
func (w *rewriter) scanCode(secs []section) {
	w.bodies = make([]bodyInfo, w.nDefFuncs)
	for i := range w.bodies {
		w.bodies[i] = bodyInfo{entry: true, tail: MaxTail}
	}
	for _, s := range secs {
		if s.id != secCode {
			continue
		}
		r := &reader{b: s.payload}
		n, err := r.u32()
		if err != nil || int(n) != w.nDefFuncs {
			return
		}
		if len(s.payload) >= parallelMinBytes {
			if done, complete := w.scanParallel(r); done {
				if !complete {
					return
				}
				break
			}
		}
		for i := range w.bodies {
			size, err := r.u32()
			if err != nil {
				return
			}
			b, err := r.bytes(int(size))
			if err != nil {
				return
			}
			w.scanBody(i, b)
		}
	}
	// An indirect call may reach any function of its type: the largest
	// head and tail of the module's functions of that type, or of a short
	// leaf of another module when its tables can hold those (a function
	// of another module may add its own head once; see above).
	costs := map[string]reach{}
	for i, b := range w.bodies {
		sig := w.typeSigs[w.funcTypes[i]]
		c := costs[sig]
		costs[sig] = reach{max(c.head, b.head), max(c.tail, b.tail)}
	}
	for _, sig := range w.typeSigs {
		// A reference type (funcref 0x70, externref 0x6f, ref 0x64, ref
		// null 0x63) in a signature (a count of that value only adds
		// checks).
		if strings.ContainsAny(sig, "\x70\x6f\x63\x64") {
			w.foreignRefs = true
		}
	}
	w.scanned = slices.Clone(w.bodies)
	w.indirect = make([]reach, len(w.typeSigs))
	for t, sig := range w.typeSigs {
		c := costs[sig]
		if w.foreignRefs {
			c.tail = MaxTail
		}
		w.indirect[t] = c
	}
}

// scanBody sets w.bodies[i] from body b, unless b cannot be decoded.
func (w *rewriter) scanBody(i int, b []byte) {
	calls, err := callsOthers(b)
	if err != nil {
		return
	}
	info := bodyInfo{entry: entryCheck(calls, len(b)), head: len(b), tail: min(len(b), MaxTail)}
	if info.entry {
		info.head = 0
	}
	w.bodies[i] = info
}

// callsOthers reports whether body b (locals and code) has a call.
func callsOthers(b []byte) (bool, error) {
	r := &reader{b: b}
	groups, err := r.u32()
	if err != nil {
		return false, err
	}
	for g := uint32(0); g < groups; g++ {
		if _, err := r.u32(); err != nil {
			return false, err
		}
		if err := r.valType(); err != nil {
			return false, err
		}
	}
	for !r.eof() {
		op, _ := r.byte()
		switch op {
		case 0x10, 0x11, 0x12, 0x13, 0x14, 0x15:
			return true, nil
		case 0x0b: // end (immediates leaves out what function decodes itself)
			err = nil
		case 0x03: // loop
			err = r.blockType()
		case 0xd2: // ref.func
			_, err = r.u32()
		default:
			err = r.immediates(op)
		}
		if err != nil {
			return false, err
		}
	}
	return false, nil
}

// callCost returns what a direct call of function idx (an index of the
// original module) runs before its first check site (head) and after its
// last (tail), and whether every call of it passes a check site (then the
// count after the call is its tail alone).
func (w *rewriter) callCost(idx uint32) (head, tail int, resets bool) {
	if idx < w.nImpFuncs {
		return 0, MaxTail, false
	}
	d := idx - w.nImpFuncs
	if uint64(d) >= uint64(len(w.bodies)) {
		return 0, 0, false // invalid: wazero refuses it
	}
	if w.par != nil {
		return w.par.cost(d)
	}
	b := w.bodies[d]
	return b.head, b.tail, b.entry
}

// indirectCost is callCost for call_indirect and call_ref of type t
// (counted as a call of a leaf: the callee may be one).
func (w *rewriter) indirectCost(t uint32) (head, tail int) {
	if uint64(t) >= uint64(len(w.indirect)) {
		return 0, 0
	}
	return w.indirect[t].head, w.indirect[t].tail
}

// labels returns the labels of a branch instruction (br, br_if, br_table,
// br_on_null, br_on_non_null) from its immediates imm.
func labels(op byte, imm []byte, dst []uint32) []uint32 {
	r := &reader{b: imm}
	n := uint32(1)
	if op == 0x0e {
		c, err := r.u32()
		if err != nil {
			return dst
		}
		n = c + 1
	}
	for i := uint32(0); i < n; i++ {
		l, err := r.u32()
		if err != nil {
			return dst
		}
		dst = append(dst, l)
	}
	return dst
}

// catchLabels returns the labels of try_table's catch clauses from its
// immediates imm (block type, then the clauses).
func catchLabels(imm []byte, dst []uint32) []uint32 {
	r := &reader{b: imm}
	if r.blockType() != nil {
		return dst
	}
	n, err := r.u32()
	if err != nil {
		return dst
	}
	for i := uint32(0); i < n; i++ {
		k, err := r.byte()
		if err != nil {
			return dst
		}
		if k == 0 || k == 1 { // catch, catch_ref: a tag first
			if _, err := r.u32(); err != nil {
				return dst
			}
		}
		l, err := r.u32()
		if err != nil {
			return dst
		}
		dst = append(dst, l)
	}
	return dst
}
