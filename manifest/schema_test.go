package manifest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/capability"
)

// decoderObjects maps each object of docs/app.schema.json (by JSON pointer)
// to the fields the decoder accepts there.
var decoderObjects = map[string][]string{
	"#":                         names(appFields),
	"#/$defs/http":              names(httpFields),
	"#/$defs/route":             names(routeFields),
	"#/$defs/messaging":         names(messagingFields),
	"#/$defs/subscription":      names(subscriptionFields),
	"#/$defs/providers":         names(providersFields),
	"#/$defs/keyvalueProvider":  names(keyValueProviderFields),
	"#/$defs/messagingProvider": names(messagingProviderFields),
	"#/$defs/claims":            names(claimsFields),
	"#/$defs/component":         names(componentFields),
	"#/$defs/configSource":      names(configSourceFields),
	"#/$defs/dir":               names(dirFields),
	"#/$defs/library":           names(libraryFields),
	"#/$defs/link":              names(linkFields),
	"#/$defs/placement":         names(placementFields),
	"#/$defs/grants":            names(grantFields),
	"#/$defs/keyvalueGrant":     names(keyValueGrantFields),
	"#/$defs/httpGrant":         names(httpGrantFields),
	"#/$defs/messagingGrant":    names(messagingGrantFields),
	"#/$defs/configGrant":       {},
	"#/$defs/loggingGrant":      {},
	"#/$defs/limits":            names(limitsFields),
	"#/$defs/instances":         names(instancesFields),
}

func loadSchema(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile("../docs/app.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("docs/app.schema.json: %v", err)
	}
	return s
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}

// TestSchemaMatchesDecoder: every object the JSON Schema describes has
// exactly the properties the decoder accepts there, and refuses others as
// the decoder does; every $ref resolves.
func TestSchemaMatchesDecoder(t *testing.T) {
	s := loadSchema(t)
	if s["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v", s["$schema"])
	}
	defs, _ := s["$defs"].(map[string]any)
	objects := map[string]map[string]any{"#": s}
	for name, d := range defs {
		objects["#/$defs/"+name] = d.(map[string]any)
	}
	seen := map[string]bool{}
	for ptr, obj := range objects {
		props, ok := obj["properties"].(map[string]any)
		if !ok {
			continue
		}
		seen[ptr] = true
		want, known := decoderObjects[ptr]
		if !known {
			t.Errorf("%s: an object the test does not map to a decoder table", ptr)
			continue
		}
		var got []string
		for p := range props {
			got = append(got, p)
		}
		if !slices.Equal(sorted(got), sorted(want)) {
			t.Errorf("%s: schema properties %v, decoder fields %v", ptr, sorted(got), sorted(want))
		}
		if obj["additionalProperties"] != false {
			t.Errorf("%s: additionalProperties is not false, but the decoder refuses unknown fields", ptr)
		}
	}
	for ptr := range decoderObjects {
		if !seen[ptr] {
			t.Errorf("%s: in the decoder, not in the schema", ptr)
		}
	}
	// Every $ref points at a definition.
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if _, ok := objects[ref]; !ok {
					t.Errorf("$ref %s resolves to nothing", ref)
				}
			}
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(s)

	// The enumerations are the decoder's.
	if !slices.Equal(names(grantFields), capability.Names) {
		t.Errorf("grant fields %v, capabilities %v", names(grantFields), capability.Names)
	}
	enum := func(ptr, prop string) []string {
		var out []string
		for _, v := range objects[ptr]["properties"].(map[string]any)[prop].(map[string]any)["enum"].([]any) {
			out = append(out, v.(string))
		}
		return out
	}
	if got := enum("#/$defs/keyvalueProvider", "type"); !slices.Equal(got, keyValueTypes) {
		t.Errorf("keyvalue provider types: schema %v, decoder %v", got, keyValueTypes)
	}
	if got := enum("#/$defs/route", "convention"); !slices.Equal(got, []string{"auto", "handler", "wagi", "cgi"}) {
		t.Errorf("conventions: schema %v", got)
	}
	if p := defs["name"].(map[string]any)["pattern"]; p != namePattern.String() {
		t.Errorf("name pattern: schema %v, decoder %s", p, namePattern)
	}
}

// TestDecoderCoversConfig: the decoder reads every field of the config
// types (config.go) that has a yaml name, and no other, so a field added
// there fails here until the manifest reads it.
func TestDecoderCoversConfig(t *testing.T) {
	tables := map[reflect.Type][]string{
		reflect.TypeFor[wasmhive.ComponentConfig](): slices.DeleteFunc(names(componentFields), func(n string) bool {
			return slices.Contains(latticeComponentFields, n) // manifest.Component's, not the config's
		}),
		reflect.TypeFor[wasmhive.Dir]():               names(dirFields),
		reflect.TypeFor[wasmhive.Library]():           names(libraryFields),
		reflect.TypeFor[wasmhive.Grants]():            names(grantFields),
		reflect.TypeFor[wasmhive.KeyValueGrant]():     names(keyValueGrantFields),
		reflect.TypeFor[wasmhive.HTTPGrant]():         names(httpGrantFields),
		reflect.TypeFor[wasmhive.MessagingGrant]():    names(messagingGrantFields),
		reflect.TypeFor[wasmhive.ConfigGrant]():       {},
		reflect.TypeFor[wasmhive.LoggingGrant]():      {},
		reflect.TypeFor[wasmhive.Limits]():            names(limitsFields),
		reflect.TypeFor[wasmhive.Instances]():         names(instancesFields),
		reflect.TypeFor[wasmhive.Link]():              names(linkFields),
		reflect.TypeFor[wasmhive.Providers]():         names(providersFields),
		reflect.TypeFor[wasmhive.KeyValueProvider]():  names(keyValueProviderFields),
		reflect.TypeFor[wasmhive.MessagingProvider](): names(messagingProviderFields),
		reflect.TypeFor[wasmhive.ClaimsPolicy]():      names(claimsFields),
		reflect.TypeFor[wasmhive.ConfigSource]():      names(configSourceFields),
	}
	root := reflect.TypeFor[wasmhive.ComponentConfig]().PkgPath()
	done := map[reflect.Type]bool{}
	var walk func(typ reflect.Type)
	walk = func(typ reflect.Type) {
		if done[typ] {
			return
		}
		done[typ] = true
		want, ok := tables[typ]
		if !ok {
			t.Errorf("%s: a config type the decoder has no table for", typ)
			return
		}
		var got []string
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			got = append(got, name)
			ft := f.Type
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice || ft.Kind() == reflect.Map {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && ft.PkgPath() == root {
				walk(ft)
			}
		}
		if !slices.Equal(sorted(got), sorted(want)) {
			t.Errorf("%s: yaml fields %v, decoder fields %v", typ, sorted(got), sorted(want))
		}
	}
	walk(reflect.TypeFor[wasmhive.ComponentConfig]())
	walk(reflect.TypeFor[wasmhive.Providers]())
	walk(reflect.TypeFor[wasmhive.ClaimsPolicy]()) // the claims section
	walk(reflect.TypeFor[wasmhive.ConfigSource]()) // a config value written as a mapping (ComponentConfig.ConfigFrom)
	for typ := range tables {
		if !done[typ] {
			t.Errorf("%s: a table for a type the config does not use", typ)
		}
	}
}

// TestDocsExample: the complete example in docs/manifest.md is valid, and
// every field the decoder reads is documented there.
func TestDocsExample(t *testing.T) {
	b, err := os.ReadFile("../docs/manifest.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	m := regexp.MustCompile("(?s)<!-- example -->\n```yaml\n(.*?)```").FindStringSubmatch(doc)
	if m == nil {
		t.Fatal("docs/manifest.md has no ```yaml block after <!-- example -->")
	}
	dir := appDir(t)
	// The files the example names.
	handler, _ := os.ReadFile(filepath.Join(dir, "handler.wasm"))
	lib, _ := os.ReadFile(filepath.Join(dir, "reactor.wasm"))
	for name, b := range map[string][]byte{"kvcounter.wasm": handler, "worker.wasm": handler, "lib.wasm": lib} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "static"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secrets", "api-token"), []byte("token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	app, err := Parse("app.yaml", []byte(m[1]))
	if err != nil {
		t.Fatalf("the example:\n%v", err)
	}
	if len(app.Components) == 0 || len(app.HTTP.Routes) == 0 || len(app.Messaging.Subscriptions) == 0 {
		t.Errorf("the example lacks a part: %s", app.Summary())
	}
	for ptr, fields := range decoderObjects {
		for _, f := range fields {
			if !strings.Contains(doc, "`"+f+"`") && !strings.Contains(doc, "."+f+"`") {
				t.Errorf("%s: field %s is not documented (as `%s` or `parent.%s`)", ptr, f, f, f)
			}
		}
	}
}
