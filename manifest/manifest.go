// Package manifest reads an app manifest: the YAML file (app.yaml) that
// describes a wasmhive app, its components, their grants and limits, and the
// HTTP routes and messaging subscriptions that call them. docs/manifest.md
// documents the format; docs/app.schema.json is its JSON Schema for editors.
//
// Load and Parse decode and validate the whole file before anything starts:
// unknown fields, wrong types, dangling references and missing modules are
// all reported at once, each with the file, line and field it concerns, in
// an *Error. A returned App is complete: defaults are filled in and every
// path is absolute.
package manifest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/wasmhive/wasmhive"
	httptrigger "github.com/wasmhive/wasmhive/trigger/http"
)

// Version is the manifest version this package reads (the `version` field).
const Version = 1

// Defaults of the fields that have one.
const (
	// DefaultListen is http.listen's default.
	DefaultListen = "127.0.0.1:8080"
	// DefaultMessageExport is the export a subscription calls by default.
	DefaultMessageExport = "handle_message"
)

// MaxFileSize bounds the manifest files Load reads.
const MaxFileSize = 4 << 20

// App is a decoded, validated app manifest.
type App struct {
	// Version is the manifest version: always Version.
	Version int
	// Name names the app (and its default data directory).
	Name string
	// DataDir is the absolute directory the app's data (the bolt keyvalue
	// file, the embedded NATS server's JetStream files) lives in: data_dir
	// resolved against Dir, or wasmhive.DefaultDataDir(Name).
	DataDir string
	// HTTP is the HTTP trigger: where it listens and its routes.
	HTTP HTTP
	// Messaging is the messaging trigger: its subscriptions.
	Messaging Messaging
	// Providers choose the implementation behind each capability.
	Providers wasmhive.Providers
	// Claims is the policy on the components' signed claims (the claims
	// section): whether they are required, and whose signatures count.
	Claims wasmhive.ClaimsPolicy
	// Components are the app's components, in file order. Their Module,
	// Libraries' Module, Dirs' Host and ConfigFrom's File are absolute
	// paths. A ConfigFrom entry says where a value comes from (an
	// environment variable, a file); the manifest never holds the value.
	Components []Component
	// Dir is the absolute directory of the manifest, which relative paths
	// in it are resolved against.
	Dir string
	// File is the manifest's path as given to Load or Parse, which
	// problems are reported against.
	File string
}

// HTTP is the manifest's http section.
type HTTP struct {
	// Listen is the TCP address (host:port) the HTTP trigger listens on.
	Listen string
	// ListenLine is the line of http.listen in the manifest (0 when the
	// default applies).
	ListenLine int
	// Routes map URL path prefixes to components, in file order.
	Routes []Route
}

// Route sends the requests under a path prefix to a component.
type Route struct {
	// Path is the prefix: a clean absolute path ("/", "/api"). It matches
	// itself and everything under it ("/api" matches "/api" and "/api/x",
	// not "/apix"); the longest matching route wins.
	Path string
	// Component names the component that serves the requests.
	Component string
	// Convention is how the component is driven: Auto, Handler or WAGI.
	Convention httptrigger.Convention
	// Export is the handler convention's export (httptrigger.DefaultExport
	// unless set); empty for WAGI.
	Export string
	// Line is the route's line in the manifest.
	Line int
}

// Messaging is the manifest's messaging section.
type Messaging struct {
	// Subscriptions call components for messages, in file order.
	Subscriptions []Subscription
}

// Subscription calls a component's export for each message on a subject.
type Subscription struct {
	// Subject is a NATS subject or pattern ("jobs.*", "jobs.>").
	Subject string
	// Component names the component called.
	Component string
	// Queue is the NATS queue group; empty means every subscriber (every
	// host of the app) gets every message.
	Queue string
	// Export is the export called (DefaultMessageExport unless set).
	Export string
	// Line is the subscription's line in the manifest.
	Line int
}

// Component is one named component of an app.
type Component struct {
	// Name is the component's name: the key under components.
	Name string
	// Config is the component's configuration, paths resolved.
	Config wasmhive.ComponentConfig
	// Placement says which hosts of a lattice run the component (the
	// placement field); `wasmhive up` (one host) ignores it.
	Placement Placement
	// Line is the line of the component's name in the manifest.
	Line int
}

// Placement is where a lattice runs a component: on the hosts whose labels
// include every pair of Labels. The zero value (no placement) is every host.
type Placement struct {
	// Labels are the labels (KEY: VALUE) a host must all have.
	Labels map[string]string
	// Instances, when above 0, is how many instances the lattice runs in
	// all, spread over the live hosts that match Labels: each gets an
	// equal share (the first ones, in an order every host computes alike,
	// one more), which becomes the component's instances.max there; the
	// hosts whose share is 0 do not run it. 0 means every matching host
	// runs it, with its own instances.
	Instances int
}

// Matches reports whether a host labelled labels runs a component placed
// by p: it has every one of p's labels, with the same value.
func (p Placement) Matches(labels map[string]string) bool {
	for k, v := range p.Labels {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// Component returns the component called name.
func (a *App) Component(name string) (*Component, bool) {
	for i := range a.Components {
		if a.Components[i].Name == name {
			return &a.Components[i], true
		}
	}
	return nil, false
}

// Errorf returns an *Error with one problem at line of the manifest, for
// callers that find a problem after loading (a module that does not
// compile, a port in use) and want to report it like the decoder does.
func (a *App) Errorf(line int, field, format string, args ...any) *Error {
	return &Error{Problems: []Problem{{File: a.File, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}}}
}

// Problem is one thing wrong in a manifest.
type Problem struct {
	File  string // the manifest, as given to Load or Parse
	Line  int    // 1-based; 0 when the problem has no line (a file that cannot be read)
	Field string // the field's path, e.g. "components.counter.grants"; empty for the whole file
	Msg   string // what is wrong, and what to write instead when that is known
}

// String formats p as "file:line: field: msg", the form compilers use, so
// editors can jump to it.
func (p Problem) String() string {
	var b strings.Builder
	switch {
	case p.File != "" && p.Line > 0:
		b.WriteString(p.File + ":" + strconv.Itoa(p.Line) + ": ")
	case p.File != "":
		b.WriteString(p.File + ": ")
	case p.Line > 0:
		b.WriteString("line " + strconv.Itoa(p.Line) + ": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Error is every problem found in a manifest, in file order. Load and Parse
// return it when the manifest is invalid.
type Error struct {
	Problems []Problem
}

// Error prints one problem per line; the first line is the first problem.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Load reads, decodes and validates the manifest at path. Problems in the
// file are an *Error; failing to read it is the *fs.PathError.
func Load(path string) (*App, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, &Error{Problems: []Problem{{File: path, Msg: "is a directory, not a manifest (e.g. app.yaml)"}}}
	}
	if fi.Size() > MaxFileSize {
		return nil, &Error{Problems: []Problem{{File: path, Msg: fmt.Sprintf("is %d bytes; a manifest is at most %d", fi.Size(), MaxFileSize)}}}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, &Error{Problems: []Problem{{File: path, Msg: fmt.Sprintf("is over %d bytes; a manifest is at most that", MaxFileSize)}}}
	}
	return Parse(path, data)
}

// Parse decodes and validates the manifest data. file names it in problems
// and locates relative paths (module files, dirs, data_dir); it is not
// read. Problems are an *Error.
func Parse(file string, data []byte) (*App, error) {
	dir, err := filepath.Abs(filepath.Dir(file))
	if err != nil {
		return nil, &Error{Problems: []Problem{{File: file, Msg: "cannot locate its directory: " + err.Error()}}}
	}
	d := &decoder{file: file, dir: dir}
	app := d.decodeFile(data)
	if err := d.err(); err != nil {
		return nil, err
	}
	return app, nil
}
