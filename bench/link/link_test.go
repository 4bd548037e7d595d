package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestBenchmarkShort runs the whole benchmark with few calls: every
// configuration is measured (check proves each kind goes where it says:
// across the link, to the host function, nowhere), every link call
// succeeded, and the report ends with the verdict. It asserts nothing about
// speed.
func TestBenchmarkShort(t *testing.T) {
	*iters, *rounds, *sizes = 50, 1, "1024,0"
	var b strings.Builder
	if err := run(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, intr := range []string{"on", "off"} {
		for _, dl := range []string{"deadline", "no deadline"} {
			for _, lt := range []string{"", ", link timeout"} {
				for _, size := range []string{"1 KiB", "0 B"} {
					row := "| interrupts " + intr + ", " + dl + lt + " | " + size + " | **"
					if !strings.Contains(out, row) {
						t.Errorf("no row %q in:\n%s", row, out)
					}
				}
			}
		}
	}
	// 2 hosts x 2 callers: 100 checked + 6 warm-up calls, then 2 sizes x 50.
	calls := regexp.MustCompile(`caller(-t)? -> callee: (\d+) calls, (\d+) failures`).FindAllStringSubmatch(out, -1)
	if len(calls) != 4 {
		t.Fatalf("want the counters of 4 links, got %q in:\n%s", calls, out)
	}
	for _, c := range calls {
		if c[3] != "0" || c[2] == "0" {
			t.Errorf("link counters %q: want calls and no failures", c[0])
		}
	}
	if !strings.Contains(out, "**Verdict: a linked call with a 1 KiB payload takes ") {
		t.Errorf("no verdict in:\n%s", out)
	}
}

// The verdict names the configuration `up` uses, the best one, and whether
// the goal was met.
func TestVerdictLine(t *testing.T) {
	vs := []verdict{{upConfig, 6000}, {"interrupts off, no deadline", 1500}}
	got := verdictLine(vs, 1024)
	for _, want := range []string{"6.00 µs as `wasmhive up` makes it (interrupts on, deadline)", "at best 1.50 µs (interrupts off, no deadline)",
		"met only with interrupts off, no deadline (1.50 µs)"} {
		if !strings.Contains(got, want) {
			t.Errorf("verdict %q lacks %q", got, want)
		}
	}
	if got := verdictLine(vs[:1], 1024); !strings.Contains(got, "MISSED in every configuration") {
		t.Errorf("verdict %q: want MISSED", got)
	}
	if got := verdictLine(vs[1:], 1024); !strings.Contains(got, "MET in every configuration") {
		t.Errorf("verdict %q: want MET", got)
	}
}
