package config_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/capability/config"
	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/cmtest"
)

// loadComponent instantiates testdata/component/config.wasm (see its
// config.c) with b attached (none when nil) and returns a function
// calling its exports, which describe the results as strings.
func loadComponent(t *testing.T, b *config.Binding) (func(fn string, args ...any) (string, error), *linker.Instance) {
	t.Helper()
	ctx := context.Background()
	inst := cmtest.Instantiate(t, "testdata/component/config.wasm", config.Define, func(cfg *engine.InstanceConfig) {
		if b != nil {
			config.Attach(cfg, b)
		}
	})
	return func(fn string, args ...any) (string, error) {
		f, err := inst.Func(fn)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		return linker.Call[string](ctx, f, args...)
	}, inst
}

// TestComponentConfig: get and get-all read the Binding's values, as the
// host module's get and get_all do, with values frozen at Attach.
func TestComponentConfig(t *testing.T) {
	values := map[string]string{"greeting": "hello", "empty": "", "ünïcode key": "välue\x00with nul", "a": "first"}
	call, _ := loadComponent(t, &config.Binding{Values: values})
	values["greeting"] = "changed after Attach"
	for key, want := range map[string]string{
		"greeting":    "some:hello",
		"empty":       "some:",
		"ünïcode key": "some:välue\x00with nul",
		"missing":     "none",
		"":            "none",
	} {
		if got, err := call("get", key); err != nil || got != want {
			t.Errorf("get(%q) = %q, %v; want %q", key, got, err, want)
		}
	}
	want := "a=first;empty=;greeting=hello;ünïcode key=välue\x00with nul"
	if got, err := call("get-all"); err != nil || got != want {
		t.Errorf("get-all = %q, %v; want %q (key order)", got, err, want)
	}

	// An entry a component string cannot hold is error::upstream.
	bin, _ := loadComponent(t, &config.Binding{Values: map[string]string{"ok": "v", "bin": "\xff\xfe"}})
	wantErr := `err:upstream:config entry "bin" is not valid UTF-8, which a component's strings must be`
	if got, err := bin("get", "bin"); err != nil || got != wantErr {
		t.Errorf("get of a non-UTF-8 value = %q, %v", got, err)
	}
	if got, err := bin("get", "ok"); err != nil || got != "some:v" {
		t.Errorf("get beside a non-UTF-8 value = %q, %v", got, err)
	}
	if got, err := bin("get-all"); err != nil || got != wantErr {
		t.Errorf("get-all with a non-UTF-8 value = %q, %v", got, err)
	}

	empty, _ := loadComponent(t, &config.Binding{})
	if got, err := empty("get-all"); err != nil || got != "" {
		t.Errorf("get-all of no values = %q, %v", got, err)
	}
}

// TestComponentNotGranted: without a Binding, get traps with one line.
func TestComponentNotGranted(t *testing.T) {
	call, inst := loadComponent(t, nil)
	_, err := call("get", "x")
	if err == nil || !strings.Contains(err.Error(), "wasi:config/store@0.2.0-draft#get: config is not granted to this component") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("get without a binding: %v", err)
	}
	if !inst.Broken() {
		t.Error("the instance is usable after the trap")
	}
	call, _ = loadComponent(t, nil)
	if _, err := call("get-all"); err == nil || !strings.Contains(err.Error(), "get-all: config is not granted") {
		t.Fatalf("get-all without a binding: %v", err)
	}
}
