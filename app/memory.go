package app

import (
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/internal/sysmem"
	"github.com/wasmhive/wasmhive/manifest"
	httptrigger "github.com/wasmhive/wasmhive/trigger/http"
)

// DefaultMemory is the linear memory cap of every instance in the serving
// verbs (`wasmhive up`, `wasmhive serve`) for a component that sets none
// (limits.memory in the manifest, --max-memory): a guest that allocates
// without end fails its call at the cap, and the host keeps serving,
// instead of taking the machine's memory. Set a larger cap (up to 4GiB) to
// lift it.
const DefaultMemory wasmhive.Size = 256 << 20

// WithDefaultMemory returns cc with Limits.Memory set to DefaultMemory when
// it sets no cap.
func WithDefaultMemory(cc wasmhive.ComponentConfig) wasmhive.ComponentConfig {
	if cc.Limits.Memory == 0 {
		cc.Limits.Memory = DefaultMemory
	}
	return cc
}

// MemoryUse is memory the serving verbs may hold at once, for CheckMemory.
type MemoryUse struct {
	Name  string        // a component's name, or what else holds it ("http request bodies")
	Count int           // instances (Instances.Max; 0 means GOMAXPROCS, as the Host sizes pools)
	Each  wasmhive.Size // the cap of each (Limits.Memory; 0 means WebAssembly's 4 GiB)
}

// ComponentMemory is the MemoryUse of a component's instances.
func ComponentMemory(name string, cc wasmhive.ComponentConfig) MemoryUse {
	return MemoryUse{Name: name, Count: cc.Instances.Max, Each: cc.Limits.Memory}
}

// machineMemory reads the memory this process can have (a variable for
// tests).
var machineMemory = sysmem.Available

// CheckMemory adds up the memory uses (each Count x Each) and, when the
// total is more than this process can have (the machine's memory, or its
// cgroup's limit), logs one warning saying so and which uses are the
// largest. It is a warning, not a refusal: instances rarely all grow to
// their caps at once. It returns whether it warned; where the machine's
// memory is unknown it stays silent.
func CheckMemory(log *slog.Logger, uses ...MemoryUse) bool {
	have, err := machineMemory()
	if err != nil {
		log.Debug("memory check skipped", "err", err)
		return false
	}
	type term struct {
		name  string
		bytes uint64
		text  string
	}
	var total uint64
	var terms []term
	for _, u := range uses {
		n := u.Count
		if n <= 0 {
			n = runtime.GOMAXPROCS(0)
		}
		each := uint64(u.Each)
		if each == 0 {
			each = 4 << 30
		}
		b := saturatingMul(uint64(n), each)
		total = saturatingAdd(total, b)
		terms = append(terms, term{u.Name, b, fmt.Sprintf("%s %d x %s", u.Name, n, wasmhive.Size(each))})
	}
	if total <= have.Bytes {
		return false
	}
	slices.SortStableFunc(terms, func(a, b term) int {
		switch {
		case a.bytes > b.bytes:
			return -1
		case a.bytes < b.bytes:
			return 1
		}
		return 0
	})
	parts := make([]string, 0, 3)
	for i, t := range terms {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(terms)-3))
			break
		}
		parts = append(parts, t.text)
	}
	log.Warn("the instances may use more memory than this machine has (lower their number or their memory caps)",
		"may_use", approx(total), "machine", approx(have.Bytes), "machine_from", have.Source,
		"largest", strings.Join(parts, ", "))
	return true
}

// approx formats n bytes to three significant digits in binary units.
func approx(n uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	f, i := float64(n), 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%dB", n)
	}
	return fmt.Sprintf("%.3g%s", f, units[i])
}

func saturatingMul(a, b uint64) uint64 {
	if a != 0 && b > ^uint64(0)/a {
		return ^uint64(0)
	}
	return a * b
}

func saturatingAdd(a, b uint64) uint64 {
	if a > ^uint64(0)-b {
		return ^uint64(0)
	}
	return a + b
}

// checkAppMemory is CheckMemory for the components of m (with their
// default caps) and, with routes, the HTTP trigger's request bodies.
func checkAppMemory(log *slog.Logger, m *manifest.App) {
	uses := make([]MemoryUse, 0, len(m.Components)+1)
	for _, c := range m.Components {
		uses = append(uses, ComponentMemory(c.Name, WithDefaultMemory(c.Config)))
	}
	if len(m.HTTP.Routes) > 0 {
		uses = append(uses, BodyMemory(httptrigger.Config{}))
	}
	CheckMemory(log, uses...)
}

// BodyMemory is the MemoryUse of an HTTP trigger's request bodies: what
// it buffers at once across requests (Config.MaxBodyMemory, as the
// trigger defaults it).
func BodyMemory(tc httptrigger.Config) MemoryUse {
	n := tc.MaxBodyMemory
	if n <= 0 {
		n = max(httptrigger.DefaultMaxBodyMemory, tc.MaxBodyBytes)
	}
	return MemoryUse{Name: "http request bodies", Count: 1, Each: wasmhive.Size(n)}
}
