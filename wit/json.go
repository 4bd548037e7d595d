package wit

import "encoding/json"

// The JSON forms below are for tools (such as `wasmhive inspect --json`):
// names, kinds and types, each type written in WIT syntax as seen from the
// item's own interface or world.

type jsonStability struct {
	Since      string `json:"since,omitempty"`
	Unstable   string `json:"unstable,omitempty"`
	Deprecated string `json:"deprecated,omitempty"`
}

type jsonField struct {
	Name string   `json:"name"`
	Type string   `json:"type,omitempty"`
	Docs []string `json:"docs,omitempty"`
}

type jsonTypeDef struct {
	Name      string         `json:"name"`
	Kind      string         `json:"kind"`
	Type      string         `json:"type,omitempty"` // alias target
	From      string         `json:"from,omitempty"` // `use`d from this interface
	Fields    []jsonField    `json:"fields,omitempty"`
	Docs      []string       `json:"docs,omitempty"`
	Stability *jsonStability `json:"stability,omitempty"`
}

type jsonFunc struct {
	Name      string         `json:"name"`
	Kind      string         `json:"kind"`
	Async     bool           `json:"async,omitempty"`
	Params    []jsonField    `json:"params"`
	Result    string         `json:"result,omitempty"`
	Docs      []string       `json:"docs,omitempty"`
	Stability *jsonStability `json:"stability,omitempty"`
}

type jsonInterface struct {
	Name      string         `json:"name,omitempty"`
	ID        string         `json:"id,omitempty"`
	Types     []jsonTypeDef  `json:"types,omitempty"`
	Functions []jsonFunc     `json:"functions,omitempty"`
	Docs      []string       `json:"docs,omitempty"`
	Stability *jsonStability `json:"stability,omitempty"`
}

type jsonWorldItem struct {
	Name      string         `json:"name"`
	Kind      string         `json:"kind"` // interface, function or type
	Interface *jsonInterface `json:"interface,omitempty"`
	Function  *jsonFunc      `json:"function,omitempty"`
	Type      *jsonTypeDef   `json:"type,omitempty"`
	Stability *jsonStability `json:"stability,omitempty"`
}

type jsonWorld struct {
	Name      string          `json:"name"`
	Package   string          `json:"package,omitempty"`
	Imports   []jsonWorldItem `json:"imports"`
	Exports   []jsonWorldItem `json:"exports"`
	Docs      []string        `json:"docs,omitempty"`
	Stability *jsonStability  `json:"stability,omitempty"`
}

type jsonPackage struct {
	Name       string          `json:"name"`
	Interfaces []jsonInterface `json:"interfaces"`
	Worlds     []jsonWorld     `json:"worlds"`
	Docs       []string        `json:"docs,omitempty"`
}

func jstab(s Stability) *jsonStability {
	if s == (Stability{}) {
		return nil
	}
	return &jsonStability{Since: s.Since, Unstable: s.Unstable, Deprecated: s.Deprecated}
}

var kindNames = [...]string{"alias", "record", "variant", "enum", "flags", "resource"}
var funcKindNames = [...]string{"freestanding", "method", "static", "constructor"}

func (pr *printer) jtype(td *TypeDef) jsonTypeDef {
	j := jsonTypeDef{Name: td.Name, Kind: kindNames[td.Kind], Docs: td.Docs, Stability: jstab(td.Stability)}
	if t, ok := useTarget(td); ok {
		j.Kind = "use"
		j.From = t.Interface.ID()
		j.Type = t.Name
		return j
	}
	if td.Kind == KindAlias {
		j.Type = pr.typ(td.Alias)
	}
	for _, f := range td.Fields {
		jf := jsonField{Name: f.Name, Docs: f.Docs}
		if f.Type != nil {
			jf.Type = pr.typ(f.Type)
		}
		j.Fields = append(j.Fields, jf)
	}
	return j
}

func (pr *printer) jfunc(f *Function) jsonFunc {
	j := jsonFunc{Name: f.Name, Kind: funcKindNames[f.Kind], Async: f.Async, Params: []jsonField{}, Docs: f.Docs, Stability: jstab(f.Stability)}
	for _, p := range f.Params {
		j.Params = append(j.Params, jsonField{Name: p.Name, Type: pr.typ(p.Type)})
	}
	if f.Result != nil {
		j.Result = pr.typ(f.Result)
	}
	return j
}

func (pr *printer) jiface(i *Interface) jsonInterface {
	j := jsonInterface{Name: i.Name, Docs: i.Docs, Stability: jstab(i.Stability)}
	if i.Package != nil {
		j.ID = i.ID()
	}
	for _, td := range i.TypeDefs {
		j.Types = append(j.Types, pr.jtype(td))
	}
	for _, f := range i.Functions {
		j.Functions = append(j.Functions, pr.jfunc(f))
	}
	return j
}

func (pr *printer) jworld(w *World) jsonWorld {
	j := jsonWorld{Name: w.Name, Imports: []jsonWorldItem{}, Exports: []jsonWorldItem{}, Docs: w.Docs, Stability: jstab(w.Stability)}
	if w.Package != nil {
		j.Package = w.Package.Name.String()
	}
	conv := func(it *WorldItem) jsonWorldItem {
		ji := jsonWorldItem{Name: it.Key(), Stability: jstab(it.Stability)}
		switch {
		case it.Interface != nil:
			ji.Kind = "interface"
			if it.Interface.Name == "" || it.Name != "" {
				x := pr.jiface(it.Interface)
				ji.Interface = &x
			} else {
				ji.Interface = &jsonInterface{ID: it.Interface.ID()}
			}
		case it.Func != nil:
			ji.Kind = "function"
			x := pr.jfunc(it.Func)
			ji.Function = &x
		case it.Type != nil:
			ji.Kind = "type"
			x := pr.jtype(it.Type)
			ji.Type = &x
		}
		return ji
	}
	for _, it := range w.Imports {
		j.Imports = append(j.Imports, conv(it))
	}
	for _, it := range w.Exports {
		j.Exports = append(j.Exports, conv(it))
	}
	return j
}

// MarshalJSON encodes the world: its imports and exports (interfaces by
// full name, inline ones in full), functions and types.
func (w *World) MarshalJSON() ([]byte, error) {
	return json.Marshal((&printer{pkg: w.Package}).jworld(w))
}

// MarshalJSON encodes the interface with its types and functions.
func (i *Interface) MarshalJSON() ([]byte, error) {
	return json.Marshal((&printer{pkg: i.Package}).jiface(i))
}

// MarshalJSON encodes the package with its interfaces and worlds.
func (p *Package) MarshalJSON() ([]byte, error) {
	pr := &printer{pkg: p}
	j := jsonPackage{Name: p.Name.String(), Interfaces: []jsonInterface{}, Worlds: []jsonWorld{}, Docs: p.Docs}
	for _, i := range p.Interfaces {
		j.Interfaces = append(j.Interfaces, pr.jiface(i))
	}
	for _, w := range p.Worlds {
		j.Worlds = append(j.Worlds, pr.jworld(w))
	}
	return json.Marshal(j)
}
