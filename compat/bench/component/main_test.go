package main

import "testing"

// TestCasesRun opens every implementation of the fast cases (not the cold
// compile of the large component) and runs one operation of each, which
// checks its result: the benchmark's rows measure work that was done.
func TestCasesRun(t *testing.T) {
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	hostCacheDir = t.TempDir()
	var cases []benchCase
	for _, mk := range []func(string) ([]benchCase, error){echoCases, instantiateCases, commandCases} {
		cs, err := mk(root)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, cs...)
	}
	for _, c := range cases {
		for _, im := range c.impls {
			t.Run(c.name+"/"+im.name, func(t *testing.T) {
				op, closeFn, err := im.open()
				if err != nil {
					t.Fatal(err)
				}
				defer closeFn()
				for range 2 {
					if err := op(); err != nil {
						t.Fatal(err)
					}
				}
			})
		}
	}
}

func TestEntryEncoding(t *testing.T) {
	for _, p := range payloads() {
		got, err := decodeEntry(encodeEntry(nil, p.e))
		if err != nil {
			t.Fatal(err)
		}
		if !p.e.equal(got) {
			t.Fatalf("%s: decoded entry differs", p.label)
		}
		if _, err := decodeEntry(encodeEntry(nil, p.e)[:5]); err == nil {
			t.Fatalf("%s: a truncated entry decoded", p.label)
		}
	}
}
