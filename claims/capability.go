package claims

import (
	"strings"

	"github.com/wasmhive/wasmhive/capability"
)

// capabilityAliases maps the capability names claims use, without an
// interface or version, to wasmhive's capabilities (capability.Names).
var capabilityAliases = map[string]string{
	// keyvalue
	"wasmcloud:keyvalue": capability.KeyValue,
	"wasi:keyvalue":      capability.KeyValue,
	// http: outgoing requests (serving HTTP needs no grant in wasmhive)
	"wasmcloud:httpclient": capability.HTTP,
	"wasi:http":            capability.HTTP,
	// messaging
	"wasmcloud:messaging": capability.Messaging,
	"wasi:messaging":      capability.Messaging,
	// config
	"wasmcloud:config": capability.Config,
	"wasi:config":      capability.Config,
	// logging
	"wasmcloud:logging":         capability.Logging,
	"wasmcloud:builtin:logging": capability.Logging,
	"wasi:logging":              capability.Logging,
}

// CapabilityOf returns the wasmhive capability (one of capability.Names) a
// claimed capability names, or false when it names none. It accepts
// wasmhive's own names ("keyvalue", "wasmhive:keyvalue/atomics"), wascap's
// ("wasmcloud:keyvalue", "wasmcloud:httpclient",
// "wasmcloud:builtin:logging") and WASI's ("wasi:keyvalue/store@0.2.0-draft",
// "wasi:http/outgoing-handler"), with or without an interface after "/" and
// a version after "@". Capabilities for serving HTTP
// ("wasmcloud:httpserver", "wasi:http/incoming-handler") name none: routes
// reach a component without a grant. Names are matched exactly (lower
// case).
func CapabilityOf(claim string) (string, bool) {
	name, _, _ := strings.Cut(claim, "@")
	name, iface, hasIface := strings.Cut(name, "/")
	if rest, ok := strings.CutPrefix(name, capability.ModulePrefix); ok {
		name = rest
	}
	if !strings.Contains(name, ":") {
		if capability.Known(name) {
			return name, true
		}
		return "", false
	}
	c, ok := capabilityAliases[name]
	if ok && c == capability.HTTP && name == "wasi:http" && hasIface && iface != "outgoing-handler" {
		return "", false // incoming-handler, types: serving, not requests
	}
	return c, ok
}
