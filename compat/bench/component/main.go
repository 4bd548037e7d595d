// Command component measures Component Model components on wasmhive
// (component/linker, abi/canonical, wasip2) against their floors and
// against wazy (github.com/samyfodil/wazy, a pure-Go wazero fork with
// components and WASI 0.2), all in the same run. See README.md.
//
// Run from the repository root (go.work joins the compat module):
//
//	go run ./compat/bench/component [-time 300ms] [-rounds 3] [-cold 3] [-case 2.] [-cpuprofile f]
//
// wazy is a dependency of the compat module only (compat/go.mod), never of
// wasmhive's own go.mod.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"text/tabwriter"
	"time"
)

var (
	roundTime    = flag.Duration("time", 300*time.Millisecond, "length of one measuring round")
	rounds       = flag.Int("rounds", 3, "rounds per case; the fastest is reported")
	coldRuns     = flag.Int("cold", 3, "cold compiles of the large component per implementation; the fastest is reported")
	noInterrupts = flag.Bool("nointerrupts", false, "run wasmhive's guests without interruption checks (HostConfig.NoInterrupts; wazy has no such switch)")
	cpuProf      = flag.String("cpuprofile", "", "write a CPU profile of the measuring to this file (with -case, of one case)")
	caseFlag     = flag.String("case", "", "run only the cases whose name starts with this (1, 2., 4. cold...)")
	implFlag     = flag.String("impl", "", "run only the implementations whose name contains this (for a profile of one: -impl TypedFunc)")
)

// An impl is one implementation of a case: open prepares it and returns op,
// one timed operation, and a func that releases what open made.
type impl struct {
	name string
	// goal is the ratio wasmhive's time must not exceed against this row
	// (1.5: within 1.5x of a floor; 0.5: half of a peer's), 0 for none.
	goal float64
	// ours marks a further wasmhive row (the first row always is one):
	// the baselines' ratios and goals are given for each wasmhive row.
	ours bool
	open func() (op func() error, closeFn func(), err error)
}

// A benchCase is a set of implementations of the same work; the first is
// wasmhive's.
type benchCase struct {
	name string
	cold bool // each op takes seconds: run it -cold times, not for -time
	// wallGoal judges the goal by wall time (what a user waits for, with
	// parallel compilation) instead of CPU time.
	wallGoal bool
	impls    []impl
}

// timing is one implementation's best round: wall and process CPU time
// per operation.
type timing struct{ wall, cpu time.Duration }

func main() {
	flag.Parse()
	root, err := repoRoot()
	if err != nil {
		fail(err)
	}
	var cases []benchCase
	for _, mk := range []func(string) ([]benchCase, error){echoCases, instantiateCases, commandCases, largeCases} {
		cs, err := mk(root)
		if err != nil {
			fail(err)
		}
		cases = append(cases, cs...)
	}

	if *cpuProf != "" {
		f, err := os.Create(*cpuProf)
		if err != nil {
			fail(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(err)
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	fmt.Printf("go run ./compat/bench/component: %s/%s, %d CPUs, GOMAXPROCS %d, %s, round %v, best of %d (cold compiles: best of %d)\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), *roundTime, *rounds, *coldRuns)
	fmt.Printf("times are per operation (CPU: user+system of the process); \"wasmhive ÷ row\" is the case's first row's time over this row's;\n")
	fmt.Printf("goals (by CPU time, cold compile by wall time): wasmhive within 1.5x of a floor, at most half of wazy's time; wasmhive guests interruptible: %v\n\n", !*noInterrupts)

	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	var failures []string
	fmt.Fprintln(w, "case\timplementation\twall/op\tCPU/op\twasmhive ÷ row (CPU)\t(wall)\tgoal\t")
	for _, c := range cases {
		if !strings.HasPrefix(c.name, *caseFlag) {
			continue
		}
		fmt.Fprintf(os.Stderr, "measuring %s...\n", c.name)
		res, errs := measure(c)
		// Each wasmhive row's timing: the first row's, then the others'.
		var ours []timing
		for i, im := range c.impls {
			if r, ok := res[im.name]; ok && (i == 0 || im.ours) {
				ours = append(ours, r)
			}
		}
		for i, im := range c.impls {
			r, ok := res[im.name]
			if !ok && !strings.Contains(im.name, *implFlag) {
				continue
			}
			if !ok {
				failures = append(failures, fmt.Sprintf("[%d] %s, %s: %s", len(failures)+1, c.name, im.name, oneLine(errs[im.name])))
				fmt.Fprintf(w, "%s\t%s\tFAILS [%d]\t\t\t\t\t\n", c.name, im.name, len(failures))
				continue
			}
			var rats, wrats, goals []string
			for _, o := range ours {
				if i == 0 || im.ours {
					break
				}
				q := float64(o.cpu) / float64(r.cpu)
				qw := float64(o.wall) / float64(r.wall)
				rats, wrats = append(rats, fmt.Sprintf("%.2fx", q)), append(wrats, fmt.Sprintf("%.2fx", qw))
				if c.wallGoal {
					q = qw
				}
				if im.goal > 0 {
					verdict := "met"
					if q > im.goal {
						verdict = "MISSED"
					}
					goals = append(goals, verdict)
				}
			}
			rat, wrat, goal := strings.Join(rats, " / "), strings.Join(wrats, " / "), ""
			if len(goals) > 0 {
				goal = fmt.Sprintf("≤%.1fx %s", im.goal, strings.Join(goals, " / "))
				if c.wallGoal {
					goal += " (wall)"
				}
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", c.name, im.name, dur(r.wall), dur(r.cpu), rat, wrat, goal)
		}
		fmt.Fprintln(w, "\t\t\t\t\t\t\t")
	}
	w.Flush()
	for _, f := range failures {
		fmt.Println(f)
	}
}

// measure opens every implementation of c and returns each one's fastest
// round (by CPU time per operation, which on a shared machine counts the
// work done rather than the wait for a CPU; by wall time for a wallGoal
// case). A round runs every
// implementation in turn, so that they see the same load. An
// implementation that fails to open or to run is left out, with its error.
func measure(c benchCase) (map[string]timing, map[string]error) {
	ops := make([]func() error, len(c.impls))
	errs := map[string]error{}
	for i, im := range c.impls {
		if !strings.Contains(im.name, *implFlag) {
			continue
		}
		op, closeFn, err := im.open()
		if err == nil {
			defer closeFn()
			if !c.cold { // a cold op is checked by its first timed run
				err = op() // checked once, untimed (it warms up, too)
			}
		}
		if err != nil {
			errs[im.name] = err
			continue
		}
		ops[i] = op
	}
	best := map[string]timing{}
	n := *rounds
	if c.cold {
		n = *coldRuns
	}
	for range n {
		for i, im := range c.impls {
			if ops[i] == nil {
				continue
			}
			t, err := round(ops[i], c.cold)
			if err != nil {
				errs[im.name] = err
				ops[i] = nil
				delete(best, im.name)
				continue
			}
			if b, ok := best[im.name]; !ok || (!c.wallGoal && t.cpu < b.cpu) || (c.wallGoal && t.wall < b.wall) {
				best[im.name] = t
			}
		}
	}
	return best, errs
}

// round times op: once when cold, else as many times as fit in -time.
func round(op func() error, cold bool) (timing, error) {
	// Each round starts from a collected heap, so that no implementation
	// pays for the garbage of the one that ran before it (the collector's
	// work counts in the process's CPU time); a cold operation also with
	// the memory returned to the system, as in a new process (a compile
	// leaves gigabytes).
	if cold {
		debug.FreeOSMemory()
	} else {
		runtime.GC()
	}
	n := 0
	cpu0 := cpuTime()
	start := time.Now()
	// The clock is read about 100 times a round, not after every
	// operation: reading it costs tens of nanoseconds, which would be
	// counted in every implementation's time and narrow their ratios.
	next := 1
	for {
		if err := op(); err != nil {
			return timing{}, err
		}
		n++
		if cold {
			break
		}
		if n == next {
			el := time.Since(start)
			if el >= *roundTime {
				break
			}
			per := max(el/time.Duration(n), 1)
			next = n + max(1, int(*roundTime/100/per))
		}
	}
	t := timing{wall: time.Since(start) / time.Duration(n), cpu: (cpuTime() - cpu0) / time.Duration(n)}
	if t.cpu == 0 {
		t.cpu = t.wall
	}
	return t, nil
}

// repoRoot is the directory holding go.work, from the working directory up.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "compat", "bench", "component")); err == nil {
				return dir, nil
			}
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("run from inside the wasmhive repository (go run ./compat/bench/component)")
		}
		dir = up
	}
}

func oneLine(err error) string {
	if err == nil {
		return "not run"
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

func dur(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%d ns", d.Nanoseconds())
	case d < time.Millisecond:
		return fmt.Sprintf("%.1f µs", float64(d.Nanoseconds())/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.2f ms", float64(d.Nanoseconds())/1e6)
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench/component:", oneLine(err))
	os.Exit(1)
}
