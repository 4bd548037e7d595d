// Package version holds wasmhive's version string, set at build time with
// -ldflags "-X github.com/wasmhive/wasmhive/internal/version.Version=v1.2.3".
package version

import "runtime/debug"

// Version is wasmhive's version. When not set by the linker it is taken from
// the module's build information, or "dev".
var Version = ""

// String returns the version of this build.
func String() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
