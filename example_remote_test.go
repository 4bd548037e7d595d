package wasmhive_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/link"
)

// farAway is a Remote that serves links with the components of another
// Host, as a lattice does across machines (package lattice's Remote
// carries the same calls over NATS).
type farAway struct{ h *wasmhive.Host }

func (f farAway) RemoteNode(name string) (link.Node, bool) {
	if name != "kv-sender" {
		return link.Node{}, false
	}
	// What the link checks need: the target's exports of the interface
	// (Extism functions: no parameters, an i32 result).
	extism := link.Signature{Results: []api.ValueType{api.ValueTypeI32}}
	return link.Node{Exports: map[string]link.Signature{
		"wasmhive:keyvalue/atomics#increment":        extism,
		"wasmhive:keyvalue/atomics#compare_and_swap": extism,
	}}, true
}

func (f farAway) CallRemote(ctx context.Context, from, target, export string, input []byte) ([]byte, error) {
	return f.h.Invoke(ctx, target, export, input)
}

// Link to a component that runs elsewhere: the counter's link target,
// the keyvalue sender, is not on the counter's Host, so its calls go to
// HostConfig.Remote.
func ExampleRemote() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "wasmhive-example")
	defer os.RemoveAll(dir)
	far, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{DataDir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer far.Close(ctx)
	if _, err := far.AddComponent(ctx, "kv-sender", wasmhive.ComponentConfig{
		Module: "examples/pipeline/kv-sender.wasm",
		Grants: wasmhive.Grants{KeyValue: &wasmhive.KeyValueGrant{Bucket: "counter"}},
	}); err != nil {
		log.Fatal(err)
	}
	near, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{DataDir: dir + "/near", Remote: farAway{far}})
	if err != nil {
		log.Fatal(err)
	}
	defer near.Close(ctx)
	if _, err := near.AddComponent(ctx, "counter", wasmhive.ComponentConfig{
		Module: "examples/kvcounter/kvcounter.wasm",
		Links:  []wasmhive.Link{{Interface: "wasmhive:keyvalue/atomics", Target: "kv-sender"}},
	}); err != nil {
		log.Fatal(err)
	}
	for range 2 {
		out, err := near.Invoke(ctx, "counter", "handle_http", getRequest("/hits"))
		if err != nil {
			log.Fatal(err)
		}
		status, body := httpResponse(out)
		fmt.Print(status, " ", body)
	}
	c, _ := near.Component("counter")
	fmt.Printf("%+v\n", c.Links()[0])
	// Output:
	// 200 {"counter":1}
	// 200 {"counter":2}
	// {Interface:wasmhive:keyvalue/atomics Target:kv-sender Calls:2 Failures:0}
}

// nowhere describes a kv-sender that exports nothing.
type nowhere struct{}

func (nowhere) RemoteNode(name string) (link.Node, bool) {
	return link.Node{Exports: map[string]link.Signature{}}, name == "kv-sender"
}

func (nowhere) CallRemote(context.Context, string, string, string, []byte) ([]byte, error) {
	return nil, fmt.Errorf("not called")
}

// TestRemoteLinkChecks: a link to a target elsewhere is checked as a local
// one, from what Remote says of it; with no Remote, a missing target.
func TestRemoteLinkChecks(t *testing.T) {
	ctx := context.Background()
	counter := wasmhive.ComponentConfig{
		Module: "examples/kvcounter/kvcounter.wasm",
		Links:  []wasmhive.Link{{Interface: "wasmhive:keyvalue/atomics", Target: "kv-sender"}},
	}
	for _, c := range []struct {
		remote wasmhive.Remote
		want   string
	}{
		{nowhere{}, "exports no function of wasmhive:keyvalue/atomics"},
		{nil, "kv-sender"},
	} {
		h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{DataDir: t.TempDir(), Remote: c.remote})
		if err != nil {
			t.Fatal(err)
		}
		_, err = h.AddComponent(ctx, "counter", counter)
		var le *wasmhive.LinkError
		if !errors.As(err, &le) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("remote %T: %v, want a *LinkError saying %q", c.remote, err, c.want)
		}
		h.Close(ctx)
	}
}
