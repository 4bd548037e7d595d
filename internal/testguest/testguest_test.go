package testguest_test

import (
	"context"
	"testing"

	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// TestGoReactorTags: build tags reach the build (the tagged guest's export
// returns 1 only under -tags testguest_tag), and each set of tags is cached
// apart from the plain build.
func TestGoReactorTags(t *testing.T) {
	plain := testguest.GoReactor(t, "tagged")
	tagged := testguest.GoReactorTags(t, "tagged", "testguest_tag")
	if plain == tagged {
		t.Fatalf("the tagged build shares the plain build's cache entry %s", plain)
	}
	for path, want := range map[string]int32{plain: 0, tagged: 1} {
		if got := callTag(t, path); got != want {
			t.Errorf("%s: tag() = %d, want %d", path, got, want)
		}
	}
	if again := testguest.GoReactorTags(t, "tagged", "testguest_tag"); again != tagged {
		t.Fatalf("second tagged build = %s, want the cached %s", again, tagged)
	}
}

func callTag(t *testing.T, path string) int32 {
	t.Helper()
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, engine.Config{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	m, err := rt.CompileFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := rt.Instantiate(ctx, m, engine.InstanceConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close(ctx)
	res, err := inst.Call(ctx, "tag")
	if err != nil {
		t.Fatal(err)
	}
	return api.DecodeI32(res[0])
}
