// Package logging is the logging capability: a component's log records go
// to the host's log/slog logger through wasmhive:logging/logging, shaped
// after wasi:logging (docs/capabilities.md).
package logging

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/wasmhive/wasmhive/capability"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/capwire"
)

// Module is the import module of the logging interface.
const Module = "wasmhive:logging/logging"

// LevelTrace is the slog level of trace records, below slog.LevelDebug
// (the Extism ABI's log_trace uses the same).
const LevelTrace = slog.LevelDebug - 4

// Binding is where one component's records go.
type Binding struct {
	// Logger receives the records; it should already carry the
	// component's name (Logger.With("component", name)). nil drops them.
	Logger *slog.Logger
}

var bindingKey = engine.NewKey[*Binding]("logging")

// Attach makes b the binding of the instances created from cfg.
func Attach(cfg *engine.InstanceConfig, b *Binding) { bindingKey.Set(cfg, b) }

// HostModules returns the logging interfaces' host modules, for
// engine.Config.WithHostModule.
func HostModules() []engine.HostModule {
	return []engine.HostModule{capability.HostModule{Name: Module, Funcs: []capability.Function{
		{Name: "log", NArgs: 3, Func: log},
	}}}
}

// ParseLevel maps a level name of the ABI to its slog level; critical is
// error level with critical set.
func ParseLevel(name string) (level slog.Level, critical bool, err error) {
	switch name {
	case "trace":
		return LevelTrace, false, nil
	case "debug":
		return slog.LevelDebug, false, nil
	case "info":
		return slog.LevelInfo, false, nil
	case "warn":
		return slog.LevelWarn, false, nil
	case "error":
		return slog.LevelError, false, nil
	case "critical":
		return slog.LevelError, true, nil
	}
	return 0, false, fmt.Errorf("unknown log level %q (want trace, debug, info, warn, error or critical)", name)
}

func log(ctx context.Context, inst *engine.Instance, args [][]byte) []byte {
	b, ok := bindingKey.Of(inst)
	if !ok || b == nil {
		return capwire.Error("logging is not bound for this component (grant it with grants.logging)")
	}
	level, critical, err := ParseLevel(string(args[0]))
	if err != nil {
		return capwire.Error(err.Error())
	}
	b.emit(ctx, level, critical, string(args[1]), string(args[2]))
	return capwire.OK(nil)
}

// emit logs one record of the component to b's Logger (none: dropped).
func (b *Binding) emit(ctx context.Context, level slog.Level, critical bool, logContext, message string) {
	if b.Logger == nil || !b.Logger.Enabled(ctx, level) {
		return
	}
	var attrs [2]slog.Attr
	a := attrs[:0]
	if logContext != "" {
		a = append(a, slog.String("context", logContext))
	}
	if critical {
		a = append(a, slog.Bool("critical", true))
	}
	b.Logger.LogAttrs(ctx, level, message, a...)
}
