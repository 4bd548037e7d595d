package compat_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	sdk "github.com/extism/go-sdk"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// buildExtismGoPDKGuest builds testdata/guests/plugins/extism-go-pdk (its own
// module, depending on Extism's official Go PDK) and caches the result by
// the hash of its sources.
func buildExtismGoPDKGuest(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(testguest.Root(t), "testdata", "guests", "plugins", "extism-go-pdk")
	h := sha256.New()
	fmt.Fprintln(h, runtime.Version())
	for _, f := range []string{"go.mod", "go.sum", "main.go"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		h.Write(b)
	}
	out := filepath.Join(os.TempDir(), "wasmhive-testguests", "extism-go-pdk-"+hex.EncodeToString(h.Sum(nil))[:16]+".wasm")
	if _, err := os.Stat(out); err == nil {
		return out
	}
	os.MkdirAll(filepath.Dir(out), 0o755)
	tmp := out + fmt.Sprint(".tmp", os.Getpid())
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", tmp, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0", "GOWORK=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the Extism Go PDK guest: %v\n%s", err, b)
	}
	if err := os.Rename(tmp, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func reverseBytes(b []byte) []byte {
	r := slices.Clone(b)
	slices.Reverse(r)
	return r
}

// TestExtismGoPDK runs a plugin built with Extism's official Go PDK on
// wasmhive and on the Extism Go SDK.
func TestExtismGoPDK(t *testing.T) {
	ctx := context.Background()
	wasm := buildExtismGoPDKGuest(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello "+r.Header.Get("X-Plugin"))
	}))
	defer srv.Close()

	var logs bytes.Buffer
	p := load(t, wasm, wasmhive.PluginConfig{
		Component: wasmhive.ComponentConfig{
			Config: map[string]string{"name": "Bob"},
			Grants: wasmhive.Grants{HTTP: &wasmhive.HTTPGrant{AllowedHosts: []string{"127.0.0.1"}}},
		},
		Host: wasmhive.HostConfig{
			Logger: newTextLogger(&logs, "INFO"),
			HostFunctions: []wasmhive.HostFunction{wasmhive.NewHostFunction("reverse", func(_ context.Context, _ *wasmhive.CurrentPlugin, in []byte) ([]byte, error) {
				return reverseBytes(in), nil
			})},
		},
	})

	sdkHost := sdk.NewHostFunctionWithStack("reverse", func(_ context.Context, p *sdk.CurrentPlugin, s []uint64) {
		b, err := p.ReadBytes(s[0])
		if err != nil {
			panic(err)
		}
		if s[0], err = p.WriteBytes(reverseBytes(b)); err != nil {
			panic(err)
		}
	}, []sdk.ValueType{sdk.ValueTypePTR}, []sdk.ValueType{sdk.ValueTypePTR})
	sp, err := sdk.NewPlugin(ctx, sdk.Manifest{Wasm: []sdk.Wasm{sdk.WasmFile{Path: wasm}}, Config: map[string]string{"name": "Bob"}, AllowedHosts: []string{"127.0.0.1"}},
		sdk.PluginConfig{EnableWasi: true}, []sdk.HostFunction{sdkHost})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close(ctx)

	for _, c := range []struct{ fn, in, want, wantErr string }{
		{"greet", "Ada", "Hello, Ada!", ""},
		{"config", "", "Bob", ""},
		{"count", "", "1", ""},
		{"count", "", "2", ""},
		{"fail", "x", "", "failed on purpose: x"},
		{"upper_reverse", "abc", "CBA", ""},
		{"fetch", srv.URL + "/", "200 hello go-pdk", ""},
		{"log", "", "", ""},
	} {
		out, err := p.Call(ctx, c.fn, []byte(c.in))
		_, sdkOut, sdkErr := sp.Call(c.fn, []byte(c.in))
		if c.wantErr != "" {
			if err == nil || err.Error() != c.wantErr || sdkErr == nil || sdkErr.Error() != c.wantErr {
				t.Errorf("%s: wasmhive err %v, Extism SDK err %v; want %q", c.fn, err, sdkErr, c.wantErr)
			}
			continue
		}
		if err != nil || sdkErr != nil {
			t.Errorf("%s: wasmhive err %v, Extism SDK err %v", c.fn, err, sdkErr)
			continue
		}
		if string(out) != c.want || !bytes.Equal(out, sdkOut) {
			t.Errorf("%s(%q) = %q on wasmhive, %q on the Extism SDK; want %q", c.fn, c.in, out, sdkOut, c.want)
		}
	}
	if got := logs.String(); !strings.Contains(got, `level=INFO msg="an info message"`) || !strings.Contains(got, `level=WARN msg="a warning"`) || strings.Contains(got, "a debug message") {
		t.Errorf("logs at INFO:\n%s", got)
	}
}
