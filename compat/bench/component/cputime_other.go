//go:build !unix

package main

import "time"

// cpuTime is not measured here: 0 (the CPU columns then repeat wall time).
func cpuTime() time.Duration { return 0 }
