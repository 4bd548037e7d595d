package testguest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// FreeAddr returns a 127.0.0.1 address whose port was free a moment ago,
// for a server a test starts later (a child process, or a host that binds
// when an app is placed on it). The port is below the kernel's ephemeral
// range, from which the ports of outgoing connections come: no connection
// of this or another process (packages' tests run in parallel) can take it
// in the meantime, as it can take a port the kernel picked for ":0". No
// port is handed out twice in one process.
func FreeAddr(t testing.TB) string {
	t.Helper()
	freeMu.Lock()
	defer freeMu.Unlock()
	const low = 10000
	if high := ephemeralLow(); high-low >= 1000 {
		for range 200 {
			p := low + rand.IntN(high-low)
			if freeUsed[p] {
				continue
			}
			ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				continue
			}
			addr := ln.Addr().String()
			ln.Close()
			freeUsed[p] = true
			return addr
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

var (
	freeMu   sync.Mutex
	freeUsed = map[int]bool{}
)

// ephemeralLow is the first port of the kernel's ephemeral range (Linux;
// 32768, its default, elsewhere).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 32768
	}
	n, err := strconv.Atoi(f[0])
	if err != nil {
		return 32768
	}
	return n
}
