package pdk

import "fmt"

// LogLevel is the severity of a log message. The values are the ones Extism
// hosts report from get_log_level.
type LogLevel int32

// Log levels, from most to least verbose.
const (
	LogTrace LogLevel = iota
	LogDebug
	LogInfo
	LogWarn
	LogError
)

// LogOff is the level a host reports when it logs nothing.
const LogOff LogLevel = 1<<31 - 1

// String returns the level's name ("trace", "debug", "info", "warn", "error").
func (l LogLevel) String() string {
	switch l {
	case LogTrace:
		return "trace"
	case LogDebug:
		return "debug"
	case LogInfo:
		return "info"
	case LogWarn:
		return "warn"
	case LogError:
		return "error"
	case LogOff:
		return "off"
	}
	return fmt.Sprintf("LogLevel(%d)", int32(l))
}

// GetLogLevel returns the most verbose level the host currently records.
// Messages below it are dropped by the host anyway, so a plugin can skip
// formatting them.
func GetLogLevel() LogLevel { return LogLevel(extismGetLogLevel()) }

// Log sends msg to the host's logger at level. Levels outside
// LogTrace..LogError are logged as errors.
func Log(level LogLevel, msg string) {
	m := AllocateString(msg)
	if m.offset == 0 {
		return // empty message, or the host is out of memory
	}
	switch level {
	case LogTrace:
		extismLogTrace(m.offset)
	case LogDebug:
		extismLogDebug(m.offset)
	case LogInfo:
		extismLogInfo(m.offset)
	case LogWarn:
		extismLogWarn(m.offset)
	default:
		extismLogError(m.offset)
	}
	m.Free() // a no-op when the host already freed it
}

// Logf formats its arguments like fmt.Sprintf and logs the result at level.
func Logf(level LogLevel, format string, args ...any) {
	Log(level, fmt.Sprintf(format, args...))
}
