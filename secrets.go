package wasmhive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/trigger"
)

// MaxConfigFileBytes caps a config value read from a file
// (ConfigSource.File): a larger file is refused at load.
const MaxConfigFileBytes = 1 << 20

// masks are what may replace a secret value wherever the Host would print
// it: the first that overlaps no secret (see overlaps), else a printable
// byte that no secret holds, else nothing.
var masks = []string{"[secret]", "[redacted]", "***"}

// minFragment is the shortest line of a multi-line secret (a PEM key) that
// is redacted on its own, for a guest that prints the secret line by line.
const minFragment = 8

// ConfigError reports a config value that could not be had at load. It
// names the key and where the value was to come from, never the value.
type ConfigError struct {
	Key    string // the config key
	Source string // "environment variable API_KEY", "file /run/secrets/api"; empty for a key error
	Reason string // "is not set", "does not exist", ...
	Err    error  // the underlying error, if any (fs.ErrNotExist, ...)
}

func (e *ConfigError) Error() string {
	key := e.Key
	if key == "" {
		key = `""`
	}
	if e.Source == "" {
		return fmt.Sprintf("config key %s %s", key, e.Reason)
	}
	return fmt.Sprintf("config key %s: %s %s", key, e.Source, e.Reason)
}

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.Err }

// resolvedConfig is a component's configuration as its instances read it:
// Config and the values ConfigFrom names, merged, with the secret values
// kept to redact them from what the Host prints.
type resolvedConfig struct {
	values  map[string]string
	secrets *redactor    // nil without secrets
	log     *slog.Logger // the Host's logger for this component, secrets redacted
	// stdout and stderr are the Host's HostConfig.Stdout and Stderr,
	// redacting when there are secrets (nil when the Host has none).
	stdout, stderr io.Writer
}

// flush writes what the redacting streams hold back.
func (rc *resolvedConfig) flush() {
	for _, w := range []io.Writer{rc.stdout, rc.stderr} {
		if rw, ok := w.(*redactWriter); ok {
			rw.Flush()
		}
	}
}

// resolveConfig reads the values of c.cfg.ConfigFrom, from the host's
// environment and files, and merges them with c.cfg.Config.
func (c *Component) resolveConfig() error {
	values, secrets, err := resolveConfigValues(c.cfg.Config, c.cfg.ConfigFrom, os.LookupEnv)
	if err != nil {
		return err
	}
	c.conf = resolvedConfig{values: values, secrets: newRedactor(secrets)}
	c.conf.log = rateLimited(c.conf.secrets.logger(c.h.log).With("component", c.name))
	c.conf.stdout, c.conf.stderr = c.conf.secrets.stream(c.h.cfg.Stdout), c.conf.secrets.stream(c.h.cfg.Stderr)
	return nil
}

// stream returns w redacting r's secrets, shared by the instances of a
// component (flushed when it closes); w itself when r or w is nil.
func (r *redactor) stream(w io.Writer) io.Writer {
	if r == nil || w == nil {
		return w
	}
	return r.writer(w)
}

// bindConfig is the configuration the capability bindings see: Config
// holding the merged values.
func (c *Component) bindConfig() ComponentConfig {
	cfg := c.cfg
	cfg.Config = c.conf.values
	return cfg
}

// componentLogger returns the logger of a component whose configuration
// cfg holds its merged values (bindConfig): base with the values of cfg's
// secret keys redacted.
func componentLogger(base *slog.Logger, component string, cfg ComponentConfig) *slog.Logger {
	var secrets []string
	for k, src := range cfg.ConfigFrom {
		if src.Secret {
			secrets = append(secrets, cfg.Config[k])
		}
	}
	return newRedactor(secrets).logger(base).With("component", component)
}

// redactErr hides the component's secret values in err (a guest may echo
// its configuration in an error or a trap): in the messages of the
// PluginError, TrapError and HostError it holds, which callers unwrap and
// print, and in its own message; errors.Is and errors.As still see err's
// types.
func (c *Component) redactErr(err error) error {
	if err == nil || c.conf.secrets == nil {
		return err
	}
	r := c.conf.secrets
	var pe *extism.PluginError
	if errors.As(err, &pe) {
		pe.Message = r.str(pe.Message) // made for this call: no one else holds it
	}
	var te *engine.TrapError
	if errors.As(err, &te) {
		te.Reason, te.At = r.str(te.Reason), r.str(te.At)
		for i := range te.Stack {
			te.Stack[i] = r.str(te.Stack[i])
		}
	}
	var he *extism.HostError
	if errors.As(err, &he) && he.Err != nil {
		he.Err = r.err(he.Err)
	}
	return r.err(err)
}

// redactStderr makes the standard error a caller gives a command run (a
// WAGI request's, which its trigger logs) hide the component's secrets; the
// function returned writes what was held back, after the run.
func (c *Component) redactStderr(cio *trigger.CommandIO) func() {
	if c.conf.secrets == nil || cio.Stderr == nil {
		return func() {}
	}
	w := c.conf.secrets.writer(cio.Stderr)
	cio.Stderr = w
	return func() { w.Flush() }
}

// resolveConfigValues merges literal with the values sources names, read
// with lookup (the environment) and from files. It returns the merged map
// (a new one when sources has entries) and the secret values.
func resolveConfigValues(literal map[string]string, sources map[string]ConfigSource, lookup func(string) (string, bool)) (map[string]string, []string, error) {
	if len(sources) == 0 {
		return literal, nil, nil
	}
	keys := make([]string, 0, len(sources))
	for k := range sources {
		keys = append(keys, k)
	}
	sort.Strings(keys) // report the same key first every time
	values := make(map[string]string, len(literal)+len(sources))
	for k, v := range literal {
		values[k] = v
	}
	var secrets []string
	for _, k := range keys {
		src := sources[k]
		if k == "" {
			return nil, nil, &ConfigError{Reason: "is not a config key: a key must not be empty"}
		}
		if _, dup := literal[k]; dup {
			return nil, nil, &ConfigError{Key: k, Reason: "is both a value (Config) and read from a source (ConfigFrom); give one"}
		}
		v, err := readConfigSource(k, src, lookup)
		if err != nil {
			return nil, nil, err
		}
		values[k] = v
		if src.Secret {
			secrets = append(secrets, v)
		}
	}
	return values, secrets, nil
}

// readConfigSource reads the value of key from src.
func readConfigSource(key string, src ConfigSource, lookup func(string) (string, bool)) (string, error) {
	switch {
	case src.Env != "" && src.File != "":
		return "", &ConfigError{Key: key, Reason: "has two sources, env and file; give one"}
	case src.Env != "":
		what := "environment variable " + src.Env
		if strings.ContainsAny(src.Env, "=\x00") {
			return "", &ConfigError{Key: key, Source: fmt.Sprintf("environment variable %q", src.Env), Reason: "is not a valid name"}
		}
		v, ok := lookup(src.Env)
		if !ok {
			return "", &ConfigError{Key: key, Source: what, Reason: "is not set"}
		}
		return v, nil
	case src.File != "":
		return readConfigFile(key, src.File)
	}
	return "", &ConfigError{Key: key, Reason: "has no source; give env or file"}
}

// readConfigFile reads a config value from a regular file of at most
// MaxConfigFileBytes, one trailing newline ("\n" or "\r\n") dropped. Its
// errors name the file, never what it holds.
func readConfigFile(key, path string) (string, error) {
	what := "file " + path
	fail := func(reason string, err error) (string, error) {
		return "", &ConfigError{Key: key, Source: what, Reason: reason, Err: err}
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fail(fileReason(err), err)
	}
	if !fi.Mode().IsRegular() {
		// Opening a FIFO would block the load; a device has no end.
		return fail("is not a regular file", nil)
	}
	f, err := os.Open(path)
	if err != nil {
		return fail(fileReason(err), err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxConfigFileBytes+1))
	if err != nil {
		return fail(fileReason(err), err)
	}
	if len(b) > MaxConfigFileBytes {
		return fail(fmt.Sprintf("is larger than %s, the most a config value may be", Size(MaxConfigFileBytes)), nil)
	}
	s := string(b)
	if strings.HasSuffix(s, "\r\n") {
		s = s[:len(s)-2]
	} else if strings.HasSuffix(s, "\n") {
		s = s[:len(s)-1]
	}
	return s, nil
}

// fileReason says why a file could not be read, in words that hold nothing
// of its contents.
func fileReason(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "does not exist"
	case errors.Is(err, fs.ErrPermission):
		return "cannot be read: permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return "cannot be read: " + pe.Err.Error()
	}
	return "cannot be read"
}

// redactor replaces secret values in text.
type redactor struct {
	values []string // longest first, so that a secret holding another goes whole
	mask   string   // holds no secret
	r      *strings.Replacer
}

// newRedactor returns the redactor of secrets, or nil when there is none
// to hide (empty values hide nothing).
func newRedactor(secrets []string) *redactor {
	var vs []string
	seen := map[string]bool{}
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			vs = append(vs, s)
		}
	}
	for _, s := range secrets {
		add(s)
		if strings.Contains(s, "\n") {
			for _, line := range strings.Split(s, "\n") {
				if line = strings.TrimSuffix(line, "\r"); len(line) >= minFragment {
					add(line)
				}
			}
		}
	}
	if len(vs) == 0 {
		return nil
	}
	sort.Slice(vs, func(i, j int) bool { return len(vs[i]) > len(vs[j]) || len(vs[i]) == len(vs[j]) && vs[i] < vs[j] })
	r := &redactor{values: vs, mask: pickMask(vs)}
	pairs := make([]string, 0, 2*len(vs))
	for _, v := range vs {
		pairs = append(pairs, v, r.mask)
	}
	r.r = strings.NewReplacer(pairs...)
	return r
}

// pickMask returns a mask that overlaps no secret: then one replacing pass
// leaves none in a text, and texts redacted apart cannot make one when
// joined.
func pickMask(secrets []string) string {
	ok := func(m string) bool {
		for _, s := range secrets {
			if overlaps(m, s) {
				return false
			}
		}
		return true
	}
	for _, m := range masks {
		if ok(m) {
			return m
		}
	}
	for c := byte('#'); c <= '~'; c++ {
		if m := string(c); ok(m) {
			return m
		}
	}
	return ""
}

// overlaps reports whether a and b, placed anywhere against each other,
// share a byte position: one holds the other, or an end of one is the
// start of the other.
func overlaps(a, b string) bool {
	if strings.Contains(a, b) || strings.Contains(b, a) {
		return true
	}
	for k := 1; k < len(a) && k < len(b); k++ {
		if a[len(a)-k:] == b[:k] || b[len(b)-k:] == a[:k] {
			return true
		}
	}
	return false
}

func (r *redactor) has(s string) bool {
	for _, v := range r.values {
		if strings.Contains(s, v) {
			return true
		}
	}
	return false
}

// str returns s with every secret replaced by the mask, or only the mask
// when the replacing made a secret anew (secrets "]]" in "]]]").
func (r *redactor) str(s string) string {
	if !r.has(s) {
		return s
	}
	if out := r.r.Replace(s); !r.has(out) {
		return out
	}
	return r.mask
}

// held returns how many bytes at the end of b could begin a secret (the
// longest end of b that is a proper start of a secret): a stream holds them
// back until more comes.
func (r *redactor) held(b []byte) int {
	n := 0
	for _, v := range r.values {
		// The earliest start, in the last len(v)-1 bytes, from which the
		// rest of b begins v.
		for i := max(len(b)-(len(v)-1), 0); i < len(b)-n; i++ {
			if b[i] == v[0] && v[:len(b)-i] == string(b[i:]) {
				n = len(b) - i
				break
			}
		}
	}
	return n
}

// writer returns w with r's secrets redacted from what is written through
// it; Flush writes what was held back. A nil r returns a writer to w that
// holds nothing back.
func (r *redactor) writer(w io.Writer) *redactWriter { return &redactWriter{r: r, w: w} }

// redactWriter redacts a stream: bytes that may begin a secret wait for
// the next write (or Flush).
type redactWriter struct {
	r    *redactor
	w    io.Writer
	mu   sync.Mutex
	pend []byte
}

// Write redacts p (with what was held back) and writes all but the bytes
// that may begin a secret. It reports len(p) written, or the error of w.
func (rw *redactWriter) Write(p []byte) (int, error) {
	if rw.r == nil {
		return rw.w.Write(p)
	}
	rw.mu.Lock()
	defer rw.mu.Unlock()
	out, rest := rw.r.scan(append(rw.pend, p...))
	rw.pend = append(rw.pend[:0:0], rest...)
	if out != "" {
		if _, err := io.WriteString(rw.w, out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// scan redacts b as a stream that goes on: it returns what may be written
// now and the bytes at the end that may begin a secret.
func (r *redactor) scan(b []byte) (string, []byte) {
	if !r.has(string(b)) {
		// No whole secret: all may go but an end that begins one.
		cut := len(b) - r.held(b)
		return string(b[:cut]), b[cut:]
	}
	// Left to right, as one replacing pass over the whole stream would:
	// a secret at i goes, an end of b that may begin one waits.
	var out strings.Builder
	for i := 0; i < len(b); {
		matched, pending := 0, false
		for _, v := range r.values { // longest first
			switch rest := b[i:]; {
			case len(rest) >= len(v) && string(rest[:len(v)]) == v:
				matched = len(v)
			case len(rest) < len(v) && v[:len(rest)] == string(rest):
				pending = true
			}
			if matched > 0 {
				break
			}
		}
		switch {
		case matched > 0:
			out.WriteString(r.mask)
			i += matched
		case pending:
			return out.String(), b[i:]
		default:
			out.WriteByte(b[i])
			i++
		}
	}
	return out.String(), nil
}

// Flush writes what was held back.
func (rw *redactWriter) Flush() error {
	if rw.r == nil {
		return nil
	}
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if len(rw.pend) == 0 {
		return nil
	}
	out := rw.r.str(string(rw.pend))
	rw.pend = nil
	_, err := io.WriteString(rw.w, out)
	return err
}

// err returns err, or an error with its message redacted that unwraps to
// it.
func (r *redactor) err(err error) error {
	msg := err.Error()
	if !r.has(msg) {
		return err
	}
	return &redactedError{msg: r.str(msg), err: err}
}

// redactedError is an error whose message has secrets replaced; it unwraps
// to the original, for errors.Is and errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// logger returns base with r's secrets redacted from every record: the
// message, attribute keys and values (strings, errors, anything printed
// with fmt), in groups too. A nil r returns base.
func (r *redactor) logger(base *slog.Logger) *slog.Logger {
	if r == nil {
		return base
	}
	return slog.New(&redactHandler{h: base.Handler(), r: r})
}

// redactHandler is a slog.Handler that redacts before passing records on.
type redactHandler struct {
	h slog.Handler
	r *redactor
}

func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.h.Enabled(ctx, l) }

func (h *redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.str(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.r.attr(a))
		return true
	})
	return h.h.Handle(ctx, out)
}

func (h *redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	as := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		as[i] = h.r.attr(a)
	}
	return &redactHandler{h: h.h.WithAttrs(as), r: h.r}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{h: h.h.WithGroup(h.r.str(name)), r: h.r}
}

// attr redacts one attribute.
func (r *redactor) attr(a slog.Attr) slog.Attr {
	a.Key = r.str(a.Key)
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(r.str(v.String()))
	case slog.KindGroup:
		g := v.Group()
		as := make([]slog.Attr, len(g))
		for i, ga := range g {
			as[i] = r.attr(ga)
		}
		a.Value = slog.GroupValue(as...)
	case slog.KindAny:
		var s string
		switch x := v.Any().(type) {
		case error:
			s = x.Error()
		case []byte:
			s = string(x)
		default:
			s = fmt.Sprint(x)
		}
		if r.has(s) {
			a.Value = slog.StringValue(r.str(s))
		} else {
			a.Value = v
		}
	default: // numbers, times, durations: as printed
		if r.has(v.String()) {
			a.Value = slog.StringValue(r.str(v.String()))
		} else {
			a.Value = v
		}
	}
	return a
}
