package wasihttp

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/wasip2"
	"github.com/wasmhive/wasmhive/wit"
)

// table records what define registers, so that tests call the very host
// functions a Linker gets.
type table struct {
	funcs map[string]linker.HostFunc
	drops map[string]linker.DropFunc
}

func (t *table) fn(iface, name string, f linker.HostFunc) { t.funcs[iface+"#"+name] = f }
func (t *table) resource(iface, name string, drop linker.DropFunc) {
	t.drops[iface+"#"+name] = drop
}

func newTable() *table {
	t := &table{funcs: map[string]linker.HostFunc{}, drops: map[string]linker.DropFunc{}}
	define(t)
	return t
}

func resolveHTTP(t *testing.T) *wit.Resolve {
	t.Helper()
	// The shipped WIT, as a user's wit/deps: a world importing
	// wasi:http, beside a deps directory that is the repository's.
	dir := t.TempDir()
	deps, err := filepath.Abs("../wit/deps")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(deps, filepath.Join(dir, "deps")); err != nil {
		t.Fatal(err)
	}
	world := "package test:http;\n\nworld w {\n  include wasi:http/proxy@0.2.4;\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "world.wit"), []byte(world), 0o644); err != nil {
		t.Fatal(err)
	}
	r, _, err := wit.ResolveDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestDefinesEveryFunction checks Define against the shipped WIT of
// wasi:http 0.2.4 (wit/deps/http): every function and resource of types
// and outgoing-handler is defined (but the unstable send-informational),
// and nothing the WIT does not have.
func TestDefinesEveryFunction(t *testing.T) {
	r := resolveHTTP(t)
	tab := newTable()
	want := map[string]bool{}
	for _, p := range r.Packages {
		if p.Name.Namespace != "wasi" || p.Name.Name != "http" {
			continue
		}
		if p.Name.Version != Version {
			t.Fatalf("%s: WIT version %s, Define registers %s", p.Name, p.Name.Version, Version)
		}
		for _, i := range p.Interfaces {
			if i.Name == "incoming-handler" {
				continue // an export
			}
			for _, f := range i.Functions {
				if f.Stability.Unstable != "" {
					continue
				}
				key := i.ID() + "#" + f.Name
				want[key] = true
				if tab.funcs[key] == nil {
					t.Errorf("function %s is not defined", key)
				}
			}
			for _, td := range i.TypeDefs {
				if td.Interface == i && td.Kind == wit.KindResource {
					key := i.ID() + "#" + td.Name
					want[key] = true
					if _, ok := tab.drops[key]; !ok {
						t.Errorf("resource %s is not defined", key)
					}
				}
			}
		}
	}
	if len(want) < 60 {
		t.Fatalf("only %d WIT items found: is the WIT there?", len(want))
	}
	for k := range tab.funcs {
		if !want[k] {
			t.Errorf("function %s is defined but not in the WIT", k)
		}
	}
	for k := range tab.drops {
		if !want[k] {
			t.Errorf("resource %s is defined but not in the WIT", k)
		}
	}
}

// TestLabelOrder checks the Go case lists against the WIT's declaration
// order, which is what crosses the canonical ABI.
func TestLabelOrder(t *testing.T) {
	r := resolveHTTP(t)
	i := r.Interface(typesIface)
	if i == nil {
		t.Fatalf("no interface %s", typesIface)
	}
	labels := func(name string) []string {
		for _, td := range i.TypeDefs {
			if td.Name == name && td.Interface == i {
				var out []string
				for _, f := range td.Fields {
					out = append(out, f.Name)
				}
				return out
			}
		}
		t.Fatalf("no type %s", name)
		return nil
	}
	if got := labels("error-code"); !slices.Equal(got, errorCodeNames[:]) {
		t.Errorf("error-code: WIT has %v, Go has %v", got, errorCodeNames)
	}
	var methods []string
	for _, m := range methodNames {
		methods = append(methods, map[string]string{"GET": "get", "HEAD": "head", "POST": "post", "PUT": "put", "DELETE": "delete",
			"CONNECT": "connect", "OPTIONS": "options", "TRACE": "trace", "PATCH": "patch"}[m])
	}
	if got := labels("method"); !slices.Equal(got, append(methods, "other")) {
		t.Errorf("method: WIT has %v", got)
	}
	if got := labels("scheme"); !slices.Equal(got, []string{"HTTP", "HTTPS", "other"}) {
		t.Errorf("scheme: WIT has %v", got)
	}
	if got := labels("header-error"); !slices.Equal(got, []string{headerError(headerInvalidSyntax).Error(), headerError(headerForbidden).Error(), headerError(headerImmutable).Error()}) {
		t.Errorf("header-error: WIT has %v", got)
	}
	for c, name := range map[uint32]string{
		codeDNSError: "DNS-error", codeConnectionRefused: "connection-refused", codeConnectionTerm: "connection-terminated",
		codeConnectionTimeout: "connection-timeout", codeTLSProtocolError: "TLS-protocol-error", codeTLSCertificateError: "TLS-certificate-error",
		codeTLSAlertReceived: "TLS-alert-received", codeRequestDenied: "HTTP-request-denied", codeRequestBodySize: "HTTP-request-body-size",
		codeRequestMethod: "HTTP-request-method-invalid", codeRequestURIInvalid: "HTTP-request-URI-invalid",
		codeResponseBodySize: "HTTP-response-body-size", codeProtocolError: "HTTP-protocol-error", codeInternalError: "internal-error",
	} {
		if errorCodeNames[c] != name {
			t.Errorf("code %d is %s, not %s", c, errorCodeNames[c], name)
		}
	}
}

// env is one instance with both states and the bound host functions.
type env struct {
	t    *testing.T
	tab  *table
	inst *linker.Instance
	s    *state
	ws   *wasip2.State
}

func newEnv(t *testing.T) *env {
	t.Helper()
	// A real instance (of handler.wasm), for the states its Linker's hooks
	// attach; the test calls the host functions directly.
	inst := instantiate(t, engine.InstanceConfig{})
	s, _ := stateKey.In(inst.Config())
	ws, _ := wasip2.StateOf(inst)
	return &env{t: t, tab: newTable(), inst: inst, s: s, ws: ws}
}

// call calls host function name of wasi:http/types (or "out#handle").
func (e *env) call(name string, args ...canonical.Value) canonical.Value {
	e.t.Helper()
	iface := typesIface
	if name == "out#handle" {
		iface, name = outgoingHandlerIface, "handle"
	}
	f := e.tab.funcs[iface+"#"+name]
	if f == nil {
		e.t.Fatalf("no function %s", name)
	}
	v, err := f(context.Background(), e.inst, args)
	if err != nil {
		e.t.Fatalf("%s: %v", name, err)
	}
	return v
}

func own(v canonical.Value) canonical.Own { return v.(canonical.Own) }
func borrow(v canonical.Value) canonical.Borrow {
	return canonical.Borrow{Rep: v.(canonical.Own).Rep}
}

func pairs(kv ...string) canonical.List {
	var l canonical.List
	for i := 0; i < len(kv); i += 2 {
		l = append(l, canonical.Tuple{kv[i], []byte(kv[i+1])})
	}
	return l
}

func headerErr(c uint32) canonical.Result { return canonical.Err(canonical.Variant{Case: c}) }

// TestFields exercises every fields function through the host functions.
func TestFields(t *testing.T) {
	e := newEnv(t)
	f := e.call("[constructor]fields")
	if got := e.call("[method]fields.entries", borrow(f)); len(got.(canonical.List)) != 0 {
		t.Fatalf("new fields: %v", got)
	}
	ok := canonical.OK(nil)
	for _, tc := range []struct {
		fn   string
		args []canonical.Value
		want canonical.Value
	}{
		{"append", []canonical.Value{"Content-Type", []byte("text/plain")}, ok},
		{"append", []canonical.Value{"x-a", []byte("1")}, ok},
		{"append", []canonical.Value{"X-B", []byte("2")}, ok},
		{"append", []canonical.Value{"x-a", []byte("3")}, ok},
		{"append", []canonical.Value{"bad name", []byte("v")}, headerErr(headerInvalidSyntax)},
		{"append", []canonical.Value{"", []byte("v")}, headerErr(headerInvalidSyntax)},
		{"append", []canonical.Value{"x-c", []byte("line\nbreak")}, headerErr(headerInvalidSyntax)},
		{"append", []canonical.Value{"Connection", []byte("close")}, headerErr(headerForbidden)},
		{"append", []canonical.Value{"host", []byte("evil")}, headerErr(headerForbidden)},
		{"set", []canonical.Value{"transfer-encoding", canonical.List{[]byte("chunked")}}, headerErr(headerForbidden)},
		{"set", []canonical.Value{"x-d", canonical.List{[]byte("ok"), []byte("bad\x00")}}, headerErr(headerInvalidSyntax)},
		{"delete", []canonical.Value{"bad name"}, headerErr(headerInvalidSyntax)},
	} {
		got := e.call("[method]fields."+tc.fn, append([]canonical.Value{borrow(f)}, tc.args...)...)
		if got != tc.want {
			t.Errorf("%s %v: %v, want %v", tc.fn, tc.args, got, tc.want)
		}
	}
	entries := func(h canonical.Value) string {
		s := ""
		for _, p := range e.call("[method]fields.entries", borrow(h)).(canonical.List) {
			tp := p.(canonical.Tuple)
			s += tp[0].(string) + "=" + string(tp[1].([]byte)) + ";"
		}
		return s
	}
	if got := entries(f); got != "content-type=text/plain;x-a=1;x-a=3;x-b=2;" {
		t.Fatalf("entries %s", got)
	}
	if got := e.call("[method]fields.get", borrow(f), "X-A").(canonical.List); len(got) != 2 || string(got[1].([]byte)) != "3" {
		t.Fatalf("get x-a: %v", got)
	}
	if got := e.call("[method]fields.get", borrow(f), "bad name").(canonical.List); len(got) != 0 {
		t.Fatalf("get of an invalid name: %v", got)
	}
	if e.call("[method]fields.has", borrow(f), "x-b") != true || e.call("[method]fields.has", borrow(f), "x-z") != false {
		t.Fatal("has")
	}
	e.call("[method]fields.set", borrow(f), "x-a", canonical.List{[]byte("only")})
	e.call("[method]fields.delete", borrow(f), "content-type")
	if got := entries(f); got != "x-a=only;x-b=2;" {
		t.Fatalf("after set and delete: %s", got)
	}
	// A clone is deep and mutable.
	c := e.call("[method]fields.clone", borrow(f))
	e.call("[method]fields.append", borrow(c), "x-new", []byte("n"))
	if entries(f) == entries(c) {
		t.Fatal("the clone shares its entries")
	}
	// from-list checks every pair.
	fl := e.call("[static]fields.from-list", pairs("a", "1", "B", "2")).(canonical.Result)
	if fl.Err || entries(fl.Value) != "a=1;b=2;" {
		t.Fatalf("from-list: %v", fl)
	}
	if got := e.call("[static]fields.from-list", pairs("a", "1", "keep-alive", "x")); got != headerErr(headerForbidden) {
		t.Fatalf("from-list with a forbidden name: %v", got)
	}
	// Headers of a response are immutable: the constructor takes the
	// fields, headers() hands out an immutable child.
	resp := e.call("[constructor]outgoing-response", own(f))
	h := e.call("[method]outgoing-response.headers", borrow(resp))
	for _, tc := range []struct {
		fn   string
		args []canonical.Value
	}{
		{"append", []canonical.Value{"x-y", []byte("1")}},
		{"set", []canonical.Value{"x-y", canonical.List{}}},
		{"delete", []canonical.Value{"x-a"}},
	} {
		if got := e.call("[method]fields."+tc.fn, append([]canonical.Value{borrow(h)}, tc.args...)...); got != headerErr(headerImmutable) {
			t.Errorf("%s on immutable headers: %v", tc.fn, got)
		}
	}
	if got := entries(h); got != "x-a=only;x-b=2;" {
		t.Fatalf("response headers %s", got)
	}
	if e.call("[method]outgoing-response.status-code", borrow(resp)) != uint16(200) {
		t.Fatal("default status")
	}
	if e.call("[method]outgoing-response.set-status-code", borrow(resp), uint16(42)) != canonical.Err(nil) {
		t.Fatal("status 42 accepted")
	}
	for _, h := range []canonical.Value{h, c, fl.Value, resp} {
		name := "fields"
		if h == resp {
			name = "outgoing-response"
		}
		if err := e.tab.drops[typesIface+"#"+name](context.Background(), e.inst, own(h).Rep); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.s.size(); n != 0 {
		t.Fatalf("%d resources left", n)
	}
}

// TestOutgoingRequestAccessors: the setters check what they are given,
// request-options keep their timeouts.
func TestOutgoingRequestAccessors(t *testing.T) {
	e := newEnv(t)
	req := e.call("[constructor]outgoing-request", own(e.call("[constructor]fields")))
	b := borrow(req)
	if e.call("[method]outgoing-request.method", b) != (canonical.Variant{Case: 0}) {
		t.Fatal("default method")
	}
	for _, tc := range []struct {
		fn   string
		arg  canonical.Value
		want canonical.Value
	}{
		{"set-method", canonical.Variant{Case: 2}, canonical.OK(nil)},
		{"set-method", canonical.Variant{Case: methodOther, Value: "BAD METHOD"}, canonical.Err(nil)},
		{"set-method", canonical.Variant{Case: methodOther, Value: "PURGE"}, canonical.OK(nil)},
		{"set-path-with-query", canonical.Some("/a?b=c"), canonical.OK(nil)},
		{"set-path-with-query", canonical.Some("no slash"), canonical.Err(nil)},
		{"set-scheme", canonical.Some(canonical.Variant{Case: schemeOther, Value: "9bad"}), canonical.Err(nil)},
		{"set-scheme", canonical.Some(canonical.Variant{Case: schemeHTTP}), canonical.OK(nil)},
		{"set-authority", canonical.Some("example.com:8080"), canonical.OK(nil)},
		{"set-authority", canonical.Some("user@example.com"), canonical.Err(nil)},
	} {
		if got := e.call("[method]outgoing-request."+tc.fn, b, tc.arg); got != tc.want {
			t.Errorf("%s %v: %v, want %v", tc.fn, tc.arg, got, tc.want)
		}
	}
	if got := e.call("[method]outgoing-request.method", b); got != (canonical.Variant{Case: methodOther, Value: "PURGE"}) {
		t.Errorf("method %v", got)
	}
	if got := e.call("[method]outgoing-request.path-with-query", b); got != canonical.Some("/a?b=c") {
		t.Errorf("path %v", got)
	}
	if got := e.call("[method]outgoing-request.scheme", b); got != canonical.Some(canonical.Variant{Case: schemeHTTP}) {
		t.Errorf("scheme %v", got)
	}
	if got := e.call("[method]outgoing-request.authority", b); got != canonical.Some("example.com:8080") {
		t.Errorf("authority %v", got)
	}
	if r := e.call("[method]outgoing-request.body", b).(canonical.Result); r.Err {
		t.Fatal("body")
	} else if e.call("[method]outgoing-request.body", b) != canonical.Err(nil) {
		t.Fatal("a second body")
	}
	o := e.call("[constructor]request-options")
	if e.call("[method]request-options.connect-timeout", borrow(o)) != canonical.None {
		t.Fatal("default timeout")
	}
	e.call("[method]request-options.set-first-byte-timeout", borrow(o), canonical.Some(uint64(5e9)))
	if e.call("[method]request-options.first-byte-timeout", borrow(o)) != canonical.Some(uint64(5e9)) {
		t.Fatal("first-byte-timeout")
	}
	// Without an http binding, handle denies (and takes the request).
	got := e.call("out#handle", own(req), canonical.Some(own(o)))
	if got != canonical.Err(canonical.Variant{Case: codeRequestDenied}) {
		t.Fatalf("handle without a binding: %v", got)
	}
}

// TestErrorCodeOfStream: a response body write past its content-length
// fails with an io-error whose http-error-code is HTTP-response-body-size.
func TestErrorCodeOfStream(t *testing.T) {
	e := newEnv(t)
	h := e.call("[static]fields.from-list", pairs("content-length", "3")).(canonical.Result).Value
	resp := e.call("[constructor]outgoing-response", own(h))
	body := e.call("[method]outgoing-response.body", borrow(resp)).(canonical.Result).Value
	ob, _ := lookup[*outgoingBody](e.s, own(body).Rep)
	err := ob.write([]byte("four"))
	if err == nil {
		t.Fatal("a write past content-length succeeded")
	}
	// As the output-stream reports it: an io-error holding err.
	rep := pushIOError(t, e.ws, err)
	got := e.call("http-error-code", canonical.Borrow{Rep: rep})
	want := canonical.Some(canonical.Variant{Case: codeResponseBodySize, Value: canonical.Some(uint64(4))})
	if got != want {
		t.Fatalf("http-error-code: %v, want %v", got, want)
	}
}

func pushIOError(t *testing.T, ws *wasip2.State, err error) uint32 {
	t.Helper()
	rep, perr := ws.PushIOError(err)
	if perr != nil {
		t.Fatal(perr)
	}
	return rep
}

// serveDirect answers with the host functions alone, as a guest would:
// a response with headers h, a body written in parts, finished with
// trailers; it returns the recorder, what finish returned and what the
// serving's end returned.
func (e *env) serveDirect(h canonical.Value, parts []string, trailers canonical.Value, finish bool) (*httptest.ResponseRecorder, canonical.Value, error) {
	e.t.Helper()
	w := httptest.NewRecorder()
	sv := &serving{w: w, method: "GET"}
	out, err := e.s.push(&responseOutparam{sv: sv})
	if err != nil {
		e.t.Fatal(err)
	}
	resp := e.call("[constructor]outgoing-response", own(h))
	body := e.call("[method]outgoing-response.body", borrow(resp)).(canonical.Result).Value
	e.call("[static]response-outparam.set", canonical.Own{Rep: out}, canonical.OK(own(resp)))
	ob, _ := lookup[*outgoingBody](e.s, own(body).Rep)
	for _, p := range parts {
		if _, err := (bodyWriter{ob}).Write([]byte(p)); err != nil {
			break
		}
	}
	var fin canonical.Value
	if finish {
		fin = e.call("[static]outgoing-body.finish", own(body), trailers)
	}
	return w, fin, sv.finish(nil)
}

// TestResponseTrailersAndLength: trailers go out as HTTP trailers; a
// Content-Length the body does not match fails finish and the response.
func TestResponseTrailersAndLength(t *testing.T) {
	e := newEnv(t)
	tr := e.call("[static]fields.from-list", pairs("x-checksum", "abc")).(canonical.Result).Value
	w, fin, err := e.serveDirect(e.call("[static]fields.from-list", pairs("content-type", "text/plain")).(canonical.Result).Value,
		[]string{"hello ", "world"}, canonical.Some(own(tr)), true)
	if err != nil || fin != canonical.OK(nil) {
		t.Fatalf("serve: %v, finish %v", err, fin)
	}
	res := w.Result()
	if w.Body.String() != "hello world" || res.Header.Get("Content-Type") != "text/plain" || res.Trailer.Get("X-Checksum") != "abc" {
		t.Fatalf("%q %v trailers %v", w.Body, res.Header, res.Trailer)
	}

	// Short of its content-length: finish fails, the response fails after
	// its head.
	w, fin, err = e.serveDirect(e.call("[static]fields.from-list", pairs("content-length", "10")).(canonical.Result).Value,
		[]string{"short"}, canonical.None, true)
	want := canonical.Err(canonical.Variant{Case: codeResponseBodySize, Value: canonical.Some(uint64(5))})
	if fin != want || !errors.Is(err, ErrHeadWritten) {
		t.Fatalf("short body: finish %v, serve %v", fin, err)
	}
	// Exactly its content-length: fine.
	w, fin, err = e.serveDirect(e.call("[static]fields.from-list", pairs("content-length", "5")).(canonical.Result).Value,
		[]string{"exact"}, canonical.None, true)
	if err != nil || fin != canonical.OK(nil) || w.Body.String() != "exact" || w.Result().Header.Get("Content-Length") != "5" {
		t.Fatalf("exact body: %v %v %q", err, fin, w.Body)
	}
	// A body written before the response is set goes out after its head.
	{
		w := httptest.NewRecorder()
		sv := &serving{w: w, method: "GET"}
		out, _ := e.s.push(&responseOutparam{sv: sv})
		resp := e.call("[constructor]outgoing-response", own(e.call("[constructor]fields")))
		body := e.call("[method]outgoing-response.body", borrow(resp)).(canonical.Result).Value
		ob, _ := lookup[*outgoingBody](e.s, own(body).Rep)
		(bodyWriter{ob}).Write([]byte("before "))
		if w.Body.Len() != 0 {
			t.Fatal("written before the response was set")
		}
		e.call("[static]response-outparam.set", canonical.Own{Rep: out}, canonical.OK(own(resp)))
		(bodyWriter{ob}).Write([]byte("after"))
		if fin := e.call("[static]outgoing-body.finish", own(body), canonical.None); fin != canonical.OK(nil) {
			t.Fatal(fin)
		}
		if err := sv.finish(nil); err != nil || w.Body.String() != "before after" {
			t.Fatalf("early body: %v %q", err, w.Body)
		}
	}
	// Never finished, nothing written: a clean ErrBodyNotFinished.
	w, _, err = e.serveDirect(own(e.call("[constructor]fields")), nil, nil, false)
	if !errors.Is(err, ErrBodyNotFinished) || errors.Is(err, ErrHeadWritten) || w.Body.Len() != 0 {
		t.Fatalf("unfinished: %v", err)
	}
}
