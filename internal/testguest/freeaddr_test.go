package testguest

import (
	"net"
	"strconv"
	"testing"
)

// TestFreeAddr: the addresses are distinct, bindable, on 127.0.0.1, and
// below the kernel's ephemeral port range.
func TestFreeAddr(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		addr := FreeAddr(t)
		if seen[addr] {
			t.Fatalf("%s handed out twice", addr)
		}
		seen[addr] = true
		host, port, err := net.SplitHostPort(addr)
		if err != nil || host != "127.0.0.1" {
			t.Fatalf("address %q: %v", addr, err)
		}
		if p, _ := strconv.Atoi(port); p >= ephemeralLow() {
			t.Errorf("port %d is in the ephemeral range (from %d)", p, ephemeralLow())
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("listen on %s: %v", addr, err)
		}
		ln.Close()
	}
}
