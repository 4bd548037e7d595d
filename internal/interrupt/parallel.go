package interrupt

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The bodies of a large code section are rewritten on several goroutines,
// with the same output as one goroutine, byte for byte. A body's rewrite
// depends on the others only through what a direct call of a defined
// function costs (callCost): a callee rewritten before its caller counts
// with the tail its rewritten code really has (bodyInfo.tail, refined when
// the callee is rewritten), a callee after it (or the function itself)
// with the tail scanCode found. So a worker rewriting body d that calls a
// function c < d waits until c is done, and one that calls c >= d uses the
// scanned tail. Workers take chunks of consecutive bodies in order (an
// atomic counter) and rewrite each chunk in order, so the lowest body not
// yet done is always being rewritten by a worker that waits for nothing:
// the rewrite cannot deadlock. Errors are reported as the sequential
// rewrite reports them: the one of the lowest body. A section whose
// bodies cannot all be delimited is left to the sequential rewrite.
//
// scanCode's reading of every body (whether it calls others) is
// independent per body, and runs on several goroutines too.

// Parallel rewrite parameters (variables for the tests).
var (
	// parallelMinBytes is the smallest code section rewritten in parallel.
	parallelMinBytes = 1 << 20
	// parallelWorkers, when not 0, is how many goroutines a code section
	// is rewritten on (else GOMAXPROCS, or the rewrite's limit if lower).
	parallelWorkers = 0
	// parallelChunk is how many consecutive bodies a worker takes at once.
	// One at a time waits most often (a body calls the ones just before
	// it), but the shortest: measured on a 12 MB module of 12,647 bodies
	// on 2 CPUs, chunks of 1, 8 and 32 bodies took 75, 90 and 100 ms.
	parallelChunk = 1
)

// spinWait is how long a worker spins on a body it waits for before it
// sleeps.
const spinWait = 500 * time.Microsecond

// parShared is the state the workers share.
type parShared struct {
	base   []bodyInfo // the bodies as the rewrite starts (w.bodies; read only)
	checks bool       // tails are refined (sequential: w.checks and bodies set)
	tail   []int      // refined tail of each body, valid once done
	done   []atomic.Bool
	abort  atomic.Bool // a worker panicked: waiting stops

	mu      sync.Mutex
	cond    *sync.Cond
	waiters atomic.Int32
}

// parCode is one worker's view: the body it is rewriting.
type parCode struct {
	s   *parShared
	cur uint32
}

// cost is callCost of defined function d (in range) for a caller cur.
func (pc *parCode) cost(d uint32) (head, tail int, resets bool) {
	b := pc.s.base[d]
	if d < pc.cur && pc.s.checks {
		pc.s.wait(d)
		b.tail = pc.s.tail[d]
	}
	return b.head, b.tail, b.entry
}

// refine records what body d really runs after its last check.
func (pc *parCode) refine(d uint32, tail int) {
	if pc.s.checks && int(d) < len(pc.s.base) {
		pc.s.tail[d] = min(pc.s.base[d].tail, tail)
	}
}

func (s *parShared) wait(d uint32) {
	if s.done[d].Load() {
		return
	}
	// Bodies are short (a body takes microseconds to rewrite): spin a
	// little before sleeping, which costs a wake-up of tens of
	// microseconds.
	spinStart := time.Now()
	for i := 1; ; i++ {
		if s.done[d].Load() || s.abort.Load() {
			return
		}
		runtime.Gosched()
		if i%16 == 0 && time.Since(spinStart) > spinWait {
			break
		}
	}
	s.mu.Lock()
	s.waiters.Add(1)
	for !s.done[d].Load() && !s.abort.Load() {
		s.cond.Wait()
	}
	s.waiters.Add(-1)
	s.mu.Unlock()
}

func (s *parShared) finish(d uint32) {
	s.done[d].Store(true)
	s.wake()
}

func (s *parShared) wake() {
	if s.waiters.Load() > 0 {
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	}
}

// codeSectionParallel is codeSection of payload p, whose count n the
// reader r has read, on several goroutines; ok is false when the section
// is small, or one goroutine is all there is, or its bodies cannot be
// delimited (codeSection then reports the error as it meets it).
func (w *rewriter) codeSectionParallel(p []byte, r *reader, n uint32) (out []byte, ok bool, err error) {
	workers := workerCount(w.workers, int(n))
	if workers < 2 || len(p) < parallelMinBytes {
		return nil, false, nil
	}
	type span struct {
		start int // offset of the body in the section
		b     []byte
	}
	fns := make([]span, n)
	rr := reader{b: r.b, pos: r.pos}
	for i := range fns {
		size, err := rr.u32()
		if err != nil {
			return nil, false, nil
		}
		start := rr.pos
		b, err := rr.bytes(int(size))
		if err != nil {
			return nil, false, nil
		}
		fns[i] = span{start, b}
	}
	if !rr.eof() {
		return nil, false, nil
	}
	s := &parShared{base: w.bodies, checks: w.checks && len(w.bodies) == int(n),
		tail: make([]int, n), done: make([]atomic.Bool, n)}
	s.cond = sync.NewCond(&s.mu)
	for i := range s.tail {
		if s.checks {
			s.tail[i] = w.bodies[i].tail
		}
	}
	type result struct {
		worker     int
		start, end int // of the body in the worker's arena
		err        error
	}
	res := make([]result, n)
	arenas := make([][]byte, workers)
	copies := make([]*rewriter, workers)
	panics := make([]any, workers)
	var next atomic.Uint64
	var wg sync.WaitGroup
	for k := range workers {
		wk := *w
		wk.stretch = stretch{}
		wk.lbl = nil
		wk.entryChecks, wk.loopChecks, wk.stretchChecks, wk.inlined, wk.sawGrow = 0, 0, 0, 0, false
		wk.par = &parCode{s: s}
		copies[k] = &wk
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if v := recover(); v != nil {
					panics[k] = v
					s.abort.Store(true)
					s.mu.Lock()
					s.cond.Broadcast()
					s.mu.Unlock()
				}
			}()
			arena := make([]byte, 0, (len(p)+len(p)/8)/workers+64)
			var code []byte
			for !s.abort.Load() {
				lo := next.Add(uint64(parallelChunk)) - uint64(parallelChunk)
				if lo >= uint64(n) {
					break
				}
				hi := min(lo+uint64(parallelChunk), uint64(n))
				for j := lo; j < hi; j++ {
					i := uint32(j)
					wk.par.cur = i
					start := len(arena)
					var err error
					arena, code, err = wk.function(arena, code[:0], fns[i].b, i)
					if err != nil {
						err = fmt.Errorf("function %d (body at byte %d of the code section): %w", w.nImpFuncs+i, fns[i].start, err)
						arena = arena[:start]
					}
					res[i] = result{worker: k, start: start, end: len(arena), err: err}
					s.finish(i)
				}
			}
			arenas[k] = arena
		}()
	}
	wg.Wait()
	for _, v := range panics {
		if v != nil {
			panic(v)
		}
	}
	total := 0
	for i := range res {
		if res[i].err != nil {
			return nil, true, res[i].err
		}
		total += res[i].end - res[i].start + 5
	}
	o := make([]byte, 0, total+5)
	o = appendU32(o, n)
	for _, x := range res {
		body := arenas[x.worker][x.start:x.end]
		o = appendU32(o, uint32(len(body)))
		o = append(o, body...)
	}
	if s.checks {
		for i := range w.bodies {
			w.bodies[i].tail = s.tail[i]
		}
	}
	for _, wk := range copies {
		w.entryChecks += wk.entryChecks
		w.loopChecks += wk.loopChecks
		w.stretchChecks += wk.stretchChecks
		w.inlined += wk.inlined
		w.sawGrow = w.sawGrow || wk.sawGrow
	}
	return o, true, nil
}

// workerCount is how many goroutines rewrite a code section of n bodies:
// no more than GOMAXPROCS (more would only wait more), nor than the
// rewrite's limit.
func workerCount(limit, n int) int {
	if parallelWorkers > 0 {
		return min(parallelWorkers, n)
	}
	workers := runtime.GOMAXPROCS(0)
	if limit > 0 {
		workers = min(workers, limit)
	}
	return min(workers, n)
}

// scanParallel is scanCode's loop over the bodies, which the reader r of
// the code section is at (after their count), on several goroutines; done
// is false, and nothing done, when there is one goroutine. As scanCode's
// loop does, it stops at the first body it cannot delimit (the bodies
// from there keep their defaults); complete is false then.
func (w *rewriter) scanParallel(r *reader) (done, complete bool) {
	workers := workerCount(w.workers, len(w.bodies))
	if workers < 2 {
		return false, false
	}
	bodies := make([][]byte, 0, len(w.bodies))
	complete = true
	for range w.bodies {
		size, err := r.u32()
		if err != nil {
			complete = false
			break
		}
		b, err := r.bytes(int(size))
		if err != nil {
			complete = false
			break
		}
		bodies = append(bodies, b)
	}
	var next atomic.Uint64
	var wg sync.WaitGroup
	const chunk = 64
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := next.Add(chunk) - chunk
				if lo >= uint64(len(bodies)) {
					return
				}
				for i := lo; i < min(lo+chunk, uint64(len(bodies))); i++ {
					w.scanBody(int(i), bodies[i])
				}
			}
		}()
	}
	wg.Wait()
	return true, complete
}
