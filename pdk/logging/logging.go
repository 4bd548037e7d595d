// Package logging is the guest side of wasmhive's logging capability
// (wasmhive:logging/logging, docs/capabilities.md): records that go to the
// host's log, tagged with the component's name. The component needs
// grants.logging.
package logging

import (
	"github.com/wasmhive/wasmhive/internal/capwire"
	"github.com/wasmhive/wasmhive/pdk"
)

// Level is a record's severity, as the ABI names it.
type Level string

// The levels, from most to least verbose. Critical is logged at error
// level, marked critical.
const (
	LevelTrace    Level = "trace"
	LevelDebug    Level = "debug"
	LevelInfo     Level = "info"
	LevelWarn     Level = "warn"
	LevelError    Level = "error"
	LevelCritical Level = "critical"
)

// HostError is an ERROR reply of the host (an unknown level).
type HostError struct {
	Message string
}

func (e *HostError) Error() string { return "logging: " + e.Message }

// Log sends one record at level; context (may be empty) names where it
// comes from and becomes the record's "context" attribute.
func Log(level Level, context, msg string) error {
	l, c, m := pdk.AllocateString(string(level)), pdk.AllocateString(context), pdk.AllocateString(msg)
	h := hostLog(l.Offset(), c.Offset(), m.Offset())
	l.Free()
	c.Free()
	m.Free()
	r := pdk.FindMemory(h)
	b := r.Bytes()
	r.Free()
	status, payload, err := capwire.ParseReply(b)
	switch {
	case err != nil:
		return &HostError{Message: "malformed reply from the host"}
	case status == capwire.StatusError:
		return &HostError{Message: string(payload)}
	}
	return nil
}

// Trace logs msg at trace level, without context.
func Trace(msg string) { Log(LevelTrace, "", msg) }

// Debug logs msg at debug level, without context.
func Debug(msg string) { Log(LevelDebug, "", msg) }

// Info logs msg at info level, without context.
func Info(msg string) { Log(LevelInfo, "", msg) }

// Warn logs msg at warn level, without context.
func Warn(msg string) { Log(LevelWarn, "", msg) }

// Error logs msg at error level, without context.
func Error(msg string) { Log(LevelError, "", msg) }

// Critical logs msg at error level marked critical, without context.
func Critical(msg string) { Log(LevelCritical, "", msg) }
