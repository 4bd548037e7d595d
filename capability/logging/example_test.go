package logging_test

import (
	"fmt"

	"github.com/wasmhive/wasmhive/capability/logging"
)

func ExampleParseLevel() {
	for _, name := range []string{"trace", "warn", "critical", "fatal"} {
		level, critical, err := logging.ParseLevel(name)
		fmt.Println(level, critical, err)
	}
	// Output:
	// DEBUG-4 false <nil>
	// WARN false <nil>
	// ERROR true <nil>
	// INFO false unknown log level "fatal" (want trace, debug, info, warn, error or critical)
}
