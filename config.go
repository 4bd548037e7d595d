package wasmhive

import (
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// ComponentConfig is everything a Host needs to run one component. It is
// plain data: the app manifest decodes into it, flags fill it in, and the
// zero value of every field means its documented default.
type ComponentConfig struct {
	// Module is the path of the .wasm file. In a manifest it is relative to
	// the manifest's directory.
	Module string `yaml:"module" json:"module"`
	// Wasm holds the module's bytes, instead of Module.
	Wasm []byte `yaml:"-" json:"-"`
	// Config holds the values the component reads with wasmhive:config/store
	// and Extism's config_get.
	Config map[string]string `yaml:"config" json:"config,omitempty"`
	// ConfigFrom holds config values read when the component loads, from
	// the host's environment or a file, beside Config's literal ones (a key
	// may be in only one of them). Secret values reach only this component
	// and never appear in logs, errors, inspect or a printed manifest.
	ConfigFrom map[string]ConfigSource `yaml:"-" json:"-"`
	// Env holds the WASI environment variables the component sees; it sees
	// no other.
	Env map[string]string `yaml:"env" json:"env,omitempty"`
	// Dirs are the host directories the component may reach through WASI;
	// it reaches no other file.
	Dirs []Dir `yaml:"dirs" json:"dirs,omitempty"`
	// PrivateDir, when set, is the guest path (e.g. /data) of the
	// component's own directory: <data dir>/components/<name> on the host,
	// created (0700) at load, seen by no other component. Inside it,
	// escapes by "..", absolute paths, symlinks and hard links are refused.
	PrivateDir string `yaml:"private_dir" json:"private_dir,omitempty"`
	// Grants are the capabilities the component may use. Importing one that
	// is not granted fails at load.
	Grants Grants `yaml:"grants" json:"grants"`
	// Limits bound what one call of the component may use.
	Limits Limits `yaml:"limits" json:"limits"`
	// Instances sizes the component's pool of warm instances.
	Instances Instances `yaml:"instances" json:"instances"`
	// Vars are the initial Extism plugin variables of every instance (what
	// var_get returns until the plugin changes them).
	Vars map[string][]byte `yaml:"-" json:"-"`
	// Libraries are modules linked into every instance: the component's
	// imports from module Name are served by an instance of the library.
	// Libraries are instantiated in order and may import from earlier ones.
	Libraries []Library `yaml:"libraries" json:"libraries,omitempty"`
	// Links satisfy the component's imports of named interfaces with other
	// components of the Host that export them (docs/links.md). A link
	// takes precedence over a grant for its interface.
	Links []Link `yaml:"links" json:"links,omitempty"`
}

// Link satisfies a component's imports of one interface with the exports
// of another component, the target, which must be on the Host first.
// Calls across it run on the target's instances, in a pool of the link's
// own.
type Link struct {
	// Interface is the import module name, e.g. "wasmhive:keyvalue/atomics"
	// (in a manifest, the key of the links mapping).
	Interface string `yaml:"-" json:"interface"`
	// Target names the component that exports it.
	Target string `yaml:"to" json:"to"`
	// Timeout bounds each call across the link; 0 means the target's
	// Limits.Timeout.
	Timeout time.Duration `yaml:"timeout" json:"timeout,omitempty"`
	// Instances sizes the link's pool of the target's instances; its zero
	// fields mean the target's own Instances.
	Instances Instances `yaml:"instances" json:"instances"`
}

// ConfigSource says where a config value comes from: exactly one of Env and
// File is set.
type ConfigSource struct {
	// Env names an environment variable of the host process.
	Env string `yaml:"env" json:"env,omitempty"`
	// File is the path of a file whose contents (one trailing newline
	// dropped) are the value.
	File string `yaml:"file" json:"file,omitempty"`
	// Secret keeps the value out of logs, errors, inspect and printed
	// manifests.
	Secret bool `yaml:"secret" json:"secret,omitempty"`
}

// Dir is a host directory made visible to a component.
type Dir struct {
	Host     string `yaml:"host" json:"host"`           // directory on the host
	Guest    string `yaml:"guest" json:"guest"`         // the path the guest sees; empty means the same as Host
	ReadOnly bool   `yaml:"read_only" json:"read_only"` // refuse every change
}

// Library is a module linked into a component under an import module name.
type Library struct {
	Name   string `yaml:"name" json:"name"`     // the import module name it serves
	Module string `yaml:"module" json:"module"` // path of the .wasm file
	Wasm   []byte `yaml:"-" json:"-"`           // or its bytes
}

// Grants are the capabilities granted to a component. A nil grant is not
// granted (deny by default); a non-nil one, even empty, is.
type Grants struct {
	KeyValue  *KeyValueGrant  `yaml:"keyvalue" json:"keyvalue,omitempty"`
	HTTP      *HTTPGrant      `yaml:"http" json:"http,omitempty"`
	Messaging *MessagingGrant `yaml:"messaging" json:"messaging,omitempty"`
	Config    *ConfigGrant    `yaml:"config" json:"config,omitempty"`
	Logging   *LoggingGrant   `yaml:"logging" json:"logging,omitempty"`
}

// Has reports whether the capability name is granted.
func (g Grants) Has(name string) bool {
	switch name {
	case "keyvalue":
		return g.KeyValue != nil
	case "http":
		return g.HTTP != nil
	case "messaging":
		return g.Messaging != nil
	case "config":
		return g.Config != nil
	case "logging":
		return g.Logging != nil
	}
	return false
}

// KeyValueGrant grants wasmhive:keyvalue/*.
type KeyValueGrant struct {
	// Bucket is the bucket the component's keys live in; empty means the
	// component's name. Components granted the same bucket share keys.
	Bucket string `yaml:"bucket" json:"bucket,omitempty"`
}

// HTTPGrant grants wasmhive:http/outgoing and Extism's http_request.
type HTTPGrant struct {
	// AllowedHosts are globs of the host names requests may reach
	// ("api.example.com", "*.example.com", "*"); empty allows none.
	AllowedHosts []string `yaml:"allowed_hosts" json:"allowed_hosts,omitempty"`
	// Timeout bounds one request; 0 means 30s.
	Timeout time.Duration `yaml:"timeout" json:"timeout,omitempty"`
	// MaxResponseBytes caps a response body; 0 means 50 MiB.
	MaxResponseBytes Size `yaml:"max_response_bytes" json:"max_response_bytes,omitempty"`
}

// MessagingGrant grants wasmhive:messaging/*.
type MessagingGrant struct {
	// Subjects are the NATS subject patterns the component may publish and
	// send requests to ("orders.*", "orders.>"); empty allows every subject.
	Subjects []string `yaml:"subjects" json:"subjects,omitempty"`
	// Timeout is a request's default wait for its reply; 0 means 5s.
	Timeout time.Duration `yaml:"timeout" json:"timeout,omitempty"`
}

// ConfigGrant grants wasmhive:config/store (the component's own config).
type ConfigGrant struct{}

// LoggingGrant grants wasmhive:logging/logging.
type LoggingGrant struct{}

// Limits bound one component's calls. Zero means the default.
type Limits struct {
	// Memory caps each instance's linear memory (and its Extism kernel
	// memory); 0 means no cap beyond WebAssembly's own 4 GiB through the Go
	// API, app.DefaultMemory in `wasmhive serve` and `up`.
	Memory Size `yaml:"memory" json:"memory,omitempty"`
	// Timeout bounds one call; 0 means none (a trigger may set its own).
	Timeout time.Duration `yaml:"timeout" json:"timeout,omitempty"`
	// Fuel meters each call deterministically: the loop iterations and
	// calls between functions it may run (engine.InstanceConfig.Fuel)
	// before it fails with the limit "fuel"; 0 means unmetered.
	Fuel uint64 `yaml:"fuel" json:"fuel,omitempty"`
	// MaxVarBytes caps an instance's Extism variable store; 0 means 1 MiB.
	MaxVarBytes Size `yaml:"max_var_bytes" json:"max_var_bytes,omitempty"`
	// RequestBytes caps a call's input as the component receives it (an
	// HTTP handler's encoded request, headers included; a WAGI body; a
	// message); 0 means the trigger's own cap only.
	RequestBytes Size `yaml:"request_bytes" json:"request_bytes,omitempty"`
	// ResponseBytes caps a call's output; 0 means the trigger's own cap
	// only.
	ResponseBytes Size `yaml:"response_bytes" json:"response_bytes,omitempty"`
	// KeyValueValueBytes caps one keyvalue value written; 0 means
	// DefaultKeyValueValueBytes.
	KeyValueValueBytes Size `yaml:"keyvalue_value_bytes" json:"keyvalue_value_bytes,omitempty"`
	// KeyValueKeysPerCall caps the keys one call reads, writes or lists;
	// 0 means DefaultKeyValueKeysPerCall.
	KeyValueKeysPerCall int `yaml:"keyvalue_keys_per_call" json:"keyvalue_keys_per_call,omitempty"`
	// HTTPRequestsPerCall caps the outgoing HTTP requests of one call; 0
	// means DefaultHTTPRequestsPerCall.
	HTTPRequestsPerCall int `yaml:"http_requests_per_call" json:"http_requests_per_call,omitempty"`
	// MessagesPerSecond caps the messages the component publishes or sends
	// as requests, across all its instances (a burst of as many is
	// allowed); 0 means DefaultMessagesPerSecond.
	MessagesPerSecond int `yaml:"messages_per_second" json:"messages_per_second,omitempty"`
}

// Defaults of the Limits whose zero value means a default.
const (
	DefaultKeyValueValueBytes  Size = 1 << 20
	DefaultKeyValueKeysPerCall      = 10000
	DefaultHTTPRequestsPerCall      = 100
	DefaultMessagesPerSecond        = 1000
)

// Instances sizes a component's pool of warm instances.
type Instances struct {
	// Min instances are kept warm ahead of calls (made in the background);
	// 0 means none beyond the one made at load.
	Min int `yaml:"min" json:"min,omitempty"`
	// Max caps the instances in use at once; 0 means GOMAXPROCS.
	Max int `yaml:"max" json:"max,omitempty"`
	// Fresh makes a new instance for every call instead of reusing warm
	// ones (state never survives a call).
	Fresh bool `yaml:"fresh" json:"fresh,omitempty"`
	// IdleTimeout closes instances idle this long (keeping Min); 0 never.
	IdleTimeout time.Duration `yaml:"idle_timeout" json:"idle_timeout,omitempty"`
	// Queue is how many calls may wait for a busy instance before
	// ErrSaturated; 0 means 4 x Max, negative means none may wait.
	Queue int `yaml:"queue" json:"queue,omitempty"`
	// QueueTimeout is how long a call waits for an instance before
	// ErrSaturated; 0 means 1s, negative means as long as its context
	// allows.
	QueueTimeout time.Duration `yaml:"queue_timeout" json:"queue_timeout,omitempty"`
}

// Size is a number of bytes. As text it is a number with an optional unit:
// B, KiB, MiB, GiB, TiB (or K, M, G, T, KB, MB, GB, TB, all powers of 1024),
// case-insensitive: "64MiB", "1g", "4096".
type Size uint64

// ParseSize parses s as a Size. Zero, negative, fractional and overflowing
// sizes are errors.
func ParseSize(s string) (Size, error) {
	t := strings.TrimSpace(strings.ToLower(s))
	mult := uint64(1)
	for _, u := range []struct {
		suffix string
		mult   uint64
	}{{"tib", 1 << 40}, {"gib", 1 << 30}, {"mib", 1 << 20}, {"kib", 1 << 10}, {"tb", 1 << 40}, {"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10}, {"t", 1 << 40}, {"g", 1 << 30}, {"m", 1 << 20}, {"k", 1 << 10}, {"b", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseUint(t, 10, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, fmt.Errorf("%q is too large a size", s)
		}
		return 0, fmt.Errorf("%q is not a size (e.g. 64MiB)", s)
	}
	if n == 0 {
		return 0, fmt.Errorf("%q: a size must be more than 0", s)
	}
	hi, lo := bits.Mul64(n, mult)
	if hi != 0 || lo > math.MaxInt64 {
		return 0, fmt.Errorf("%q is too large a size", s)
	}
	return Size(lo), nil
}

// UnmarshalText parses a Size from text (for YAML and JSON).
func (s *Size) UnmarshalText(b []byte) error {
	v, err := ParseSize(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// MarshalText formats s the way String does.
func (s Size) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// String formats s with the largest unit that divides it: "64MiB", "1000B".
func (s Size) String() string {
	n := uint64(s)
	for _, u := range []struct {
		name string
		mult uint64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.mult && n%u.mult == 0 {
			return strconv.FormatUint(n/u.mult, 10) + u.name
		}
	}
	return strconv.FormatUint(n, 10) + "B"
}

// Providers chooses the implementation behind each capability for a whole
// Host. The zero value is the embedded defaults: nothing to set up.
type Providers struct {
	KeyValue  KeyValueProvider  `yaml:"keyvalue" json:"keyvalue"`
	Messaging MessagingProvider `yaml:"messaging" json:"messaging"`
}

// KeyValueProvider configures the keyvalue provider.
type KeyValueProvider struct {
	// Type is "bolt" (the default: an embedded bbolt file under the data
	// directory), "nats" (JetStream KV on the Host's NATS server, embedded
	// unless Messaging.URL says otherwise, or on URL) or "redis" (URL
	// required, e.g. redis://127.0.0.1:6379/0).
	Type string `yaml:"type" json:"type,omitempty"`
	// URL is the server of the nats and redis types.
	URL string `yaml:"url" json:"url,omitempty"`
	// Replicas is how many servers of a NATS cluster keep each bucket of
	// the nats type (JetStream's replicas: 1, 3 or 5); 0 means 1.
	Replicas int `yaml:"replicas" json:"replicas,omitempty"`
}

// MessagingProvider configures the messaging provider.
type MessagingProvider struct {
	// URL is an external NATS server (nats://host:4222); empty starts an
	// embedded nats-server in the host process.
	URL string `yaml:"url" json:"url,omitempty"`
	// Listen makes the embedded server accept clients on a TCP address
	// (127.0.0.1:4222); empty keeps it reachable in-process only.
	Listen string `yaml:"listen" json:"listen,omitempty"`
}
