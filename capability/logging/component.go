package logging

import (
	"context"
	"fmt"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component/linker"
)

// WITVersion is the version of wasi:logging that Define serves (matched
// exactly, being a pre-release).
const WITVersion = "0.1.0-draft"

// The names Define serves wasi:logging's interface under: WITLogging is
// the one of the WIT (wit/deps/logging); WITLoggingUnversioned is what
// components built against wasi:logging's WIT before it had a version
// import (wasmCloud's examples long did).
const (
	WITLogging            = "wasi:logging/logging@" + WITVersion
	WITLoggingUnversioned = "wasi:logging/logging"
)

// witLevels are wasi:logging's level enum cases, in declaration order, as
// ParseLevel spells them.
var witLevels = [...]string{"trace", "debug", "info", "warn", "error", "critical"}

// witInterfaces are the names Define serves the interface under.
var witInterfaces = []string{WITLogging, WITLoggingUnversioned}

// Define registers wasi:logging 0.1.0-draft's log on l: a component's
// records go to the slog logger of the Binding attached to its instance's
// configuration, as a core module's do: trace, debug, info, warn and error
// at their slog levels (trace is LevelTrace), critical at error level
// with the attribute critical=true, the context (when not empty) as the
// attribute context. An instance without a Binding traps: the Host
// refuses such imports at load, this is the belt.
func Define(l *linker.Linker) {
	for _, iface := range witInterfaces {
		l.Instance(iface).Func("log", witLog(iface))
	}
}

func witLog(iface string) linker.HostFunc {
	return func(ctx context.Context, inst *linker.Instance, args []canonical.Value) (canonical.Value, error) {
		b, _ := bindingKey.In(inst.Config())
		if b == nil {
			return nil, fmt.Errorf("%s#log: logging is not granted to this component (grant it with grants.logging, or --grant logging)", iface)
		}
		if len(args) != 3 {
			return nil, fmt.Errorf("logging: log takes 3 arguments, got %d", len(args))
		}
		e, ok1 := args[0].(canonical.Enum)
		logContext, ok2 := args[1].(string)
		message, ok3 := args[2].(string)
		if !ok1 || !ok2 || !ok3 || int(e) >= len(witLevels) {
			return nil, fmt.Errorf("logging: log arguments are (%T %v, %T, %T), not (level, string, string)", args[0], args[0], args[1], args[2])
		}
		level, critical, err := ParseLevel(witLevels[e])
		if err != nil {
			return nil, err
		}
		b.emit(ctx, level, critical, logContext, message)
		return nil, nil
	}
}
