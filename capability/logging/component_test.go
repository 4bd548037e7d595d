package logging_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/capability/logging"
	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/cmtest"
)

// loadComponent instantiates component file (testdata/component, see
// logging.c) with b attached (none when nil) and returns a function
// calling its export emit(level, context, message).
func loadComponent(t *testing.T, file string, b *logging.Binding) (func(level canonical.Enum, context, message string) error, *linker.Instance) {
	t.Helper()
	ctx := context.Background()
	inst := cmtest.Instantiate(t, "testdata/component/"+file, logging.Define, func(cfg *engine.InstanceConfig) {
		if b != nil {
			logging.Attach(cfg, b)
		}
	})
	f, err := inst.Func("emit")
	if err != nil {
		t.Fatal(err)
	}
	return func(level canonical.Enum, logContext, message string) error {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		_, err := f.Call(ctx, level, logContext, message)
		return err
	}, inst
}

// TestComponentLevels: every wasi:logging level reaches the Binding's
// logger at the level a core module's record of that name gets, with its
// context and critical attributes, through the versioned and the
// unversioned interface name.
func TestComponentLevels(t *testing.T) {
	for _, file := range []string{"logging.wasm", "logging-unversioned.wasm"} {
		r := newRecorder(logging.LevelTrace)
		emit, _ := loadComponent(t, file, &logging.Binding{Logger: slog.New(r).With("component", "greeter")})
		want := []struct {
			level    slog.Level
			critical bool
		}{
			{logging.LevelTrace, false}, {slog.LevelDebug, false}, {slog.LevelInfo, false},
			{slog.LevelWarn, false}, {slog.LevelError, false}, {slog.LevelError, true},
		}
		for i := range want {
			if err := emit(canonical.Enum(i), "ctx", "message "+string(rune('0'+i))); err != nil {
				t.Fatalf("%s: emit level %d: %v", file, i, err)
			}
		}
		if err := emit(2, "", "no context"); err != nil {
			t.Fatal(err)
		}
		got := r.take()
		if len(got) != len(want)+1 {
			t.Fatalf("%s: %d records, want %d: %+v", file, len(got), len(want)+1, got)
		}
		for i, w := range want {
			g := got[i]
			if g.level != w.level || g.msg != "message "+string(rune('0'+i)) || g.attrs["context"] != "ctx" ||
				(g.attrs["critical"] == "true") != w.critical || g.attrs["component"] != "greeter" {
				t.Errorf("%s: record %d = %+v, want level %v critical %v", file, i, g, w.level, w.critical)
			}
		}
		if g := got[len(want)]; g.msg != "no context" || g.level != slog.LevelInfo {
			t.Errorf("%s: record = %+v", file, g)
		} else if _, ok := g.attrs["context"]; ok {
			t.Errorf("%s: an empty context is an attribute: %+v", file, g)
		}
	}
}

// TestComponentFilterAndNoLogger: records below the logger's level are
// dropped, and so is everything without a Logger.
func TestComponentFilterAndNoLogger(t *testing.T) {
	r := newRecorder(slog.LevelWarn)
	emit, _ := loadComponent(t, "logging.wasm", &logging.Binding{Logger: slog.New(r)})
	for i := range 6 {
		if err := emit(canonical.Enum(i), "", "m"); err != nil {
			t.Fatal(err)
		}
	}
	if got := r.take(); len(got) != 3 {
		t.Errorf("%d records at warn level, want 3 (warn, error, critical): %+v", len(got), got)
	}
	emit, _ = loadComponent(t, "logging.wasm", &logging.Binding{})
	if err := emit(4, "", "dropped"); err != nil {
		t.Fatalf("log without a Logger: %v", err)
	}
}

// TestComponentNotGranted: without a Binding, log traps with one line.
func TestComponentNotGranted(t *testing.T) {
	emit, inst := loadComponent(t, "logging.wasm", nil)
	err := emit(2, "", "hello")
	if err == nil || !strings.Contains(err.Error(), "wasi:logging/logging@0.1.0-draft#log: logging is not granted to this component") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("log without a binding: %v", err)
	}
	if !inst.Broken() {
		t.Error("the instance is usable after the trap")
	}
}
