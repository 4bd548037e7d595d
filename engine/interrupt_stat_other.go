//go:build !linux

package engine

import (
	"os"
	"time"
)

// fileIdentity is not implemented here: modules are always hashed.
func fileIdentity(os.FileInfo) (string, time.Time, bool) { return "", time.Time{}, false }
