package manifest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive"
	httptrigger "github.com/wasmhive/wasmhive/trigger/http"
)

// appDir makes a directory holding the files the inline manifests name,
// and makes it the working directory: reactor.wasm (a reactor importing
// nothing and exporting neither handler), handler.wasm (exporting
// handle_http and handle_message), cmd.wasm (a WAGI command), kv.wasm
// (importing keyvalue and logging), files/ (a directory), notwasm.txt; and
// returns it.
func appDir(t *testing.T) string {
	t.Helper()
	reactor, err := os.ReadFile("../testdata/guests/http/reactor.wasm")
	if err != nil {
		t.Fatal(err)
	}
	kv, err := os.ReadFile("testdata/kvimport.wasm")
	if err != nil {
		t.Fatal(err)
	}
	handler, err := os.ReadFile("../testdata/manifests/worker.wasm")
	if err != nil {
		t.Fatal(err)
	}
	command, err := os.ReadFile("../testdata/guests/http/wagi_hello.wasm")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, b := range map[string][]byte{"reactor.wasm": reactor, "kv.wasm": kv, "handler.wasm": handler, "cmd.wasm": command, "notwasm.txt": []byte("hello\n")} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "files"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "xdg"))
	return dir
}

// problems parses src as app.yaml in an appDir and returns the error text
// ("" when valid).
func problems(t *testing.T, src string) string {
	t.Helper()
	appDir(t)
	_, err := Parse("app.yaml", []byte(src))
	if err == nil {
		return ""
	}
	var me *Error
	if !errors.As(err, &me) {
		t.Fatalf("error is %T, not *Error: %v", err, err)
	}
	if len(me.Problems) == 0 {
		t.Fatal("an *Error with no problems")
	}
	return err.Error()
}

const head = "version: 1\nname: app\n"

func TestProblems(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		// The file as a whole.
		{"empty", "", `app.yaml: the file is empty; a manifest is a mapping that starts with "version: 1"`},
		{"comments only", "# nothing\n", `app.yaml: the file is empty; a manifest is a mapping that starts with "version: 1"`},
		{"empty document", "---\n", `app.yaml:1: the file is empty; a manifest is a mapping that starts with "version: 1"`},
		{"a list", "- version: 1\n", `app.yaml:1: a manifest is a mapping (version: 1, name: ..., components: ...), not a list`},
		{"a scalar", "hello\n", `app.yaml:1: a manifest is a mapping (version: 1, name: ..., components: ...), not "hello"`},
		{"syntax", "version: 1\nname: [app\n", `app.yaml:2: invalid YAML: did not find expected ',' or ']'`},
		{"syntax first line", "version: [1\n", `app.yaml:1: invalid YAML: did not find expected ',' or ']'`},
		{"syntax key", "version: 1\nname: app\n  x: 1\n", `app.yaml:3: invalid YAML: mapping values are not allowed in this context`},
		{"syntax block", "version: 1\ncomponents:\n  web:\n    module: a\n   bad\n", `app.yaml:5: invalid YAML: did not find expected key`},
		{"unterminated string", "version: 1\nname: 'app\n", `app.yaml:2: invalid YAML: found unexpected end of stream`},
		{"tab", "version: 1\n\tname: app\n", `app.yaml:2: invalid YAML: found a tab character that violates indentation`},
		{"two documents", head + "components: {web: {module: handler.wasm}}\n---\nname: other\n", `app.yaml:4: a second YAML document; a manifest is one document`},
		{"unknown anchor", "version: *v\n", `app.yaml: invalid YAML: unknown anchor 'v' referenced`},
		{"duplicate key", head + "name: again\ncomponents: {web: {module: handler.wasm}}\n", `app.yaml:3: duplicate key "name" (first at line 2)`},
		{"nothing required", "data_dir: ./data\n", "app.yaml:1: version: required: a manifest starts with \"version: 1\"\n" +
			"app.yaml:1: name: required: the app's name (lowercase letters, digits and '-')\n" +
			"app.yaml:1: components: an app needs at least one component (components: {NAME: {module: FILE.wasm}})"},
		{"unknown field", head + "componets: {}\ncomponents: {web: {module: handler.wasm}}\n",
			`app.yaml:3: unknown field "componets"; known: version, name, data_dir, http, messaging, providers, claims, components`},
		{"non-scalar key", head + "? [a]\n: 1\ncomponents: {web: {module: handler.wasm}}\n", `app.yaml:3: a key must be a name, not a list`},

		// version and name.
		{"version 2", "version: 2\nname: app\ncomponents: {web: {module: handler.wasm}}\n", `app.yaml:1: version: unsupported version 2; this wasmhive reads version 1`},
		{"version string", "version: \"1\"\nname: app\ncomponents: {web: {module: handler.wasm}}\n", `app.yaml:1: version: want an integer, got "1"`},
		{"version null", "version:\nname: app\ncomponents: {web: {module: handler.wasm}}\n", `app.yaml:1: version: required: a manifest starts with "version: 1"`},
		{"bad name", "version: 1\nname: My_App\ncomponents: {web: {module: handler.wasm}}\n",
			`app.yaml:2: name: "My_App" is not a valid name: use lowercase letters, digits and '-', starting with a letter or digit, at most 63 characters`},
		{"name mapping", "version: 1\nname: {a: b}\ncomponents: {web: {module: handler.wasm}}\n", `app.yaml:2: name: want a string, got a mapping`},
		{"data_dir a file", head + "data_dir: notwasm.txt\ncomponents: {web: {module: handler.wasm}}\n", `app.yaml:3: data_dir: notwasm.txt is a file, not a directory`},

		// http.
		{"listen", head + "http: {listen: 8080}\ncomponents: {web: {module: handler.wasm}}\n",
			`app.yaml:3: http.listen: "8080" is not host:port (e.g. 127.0.0.1:8080, :8080, [::1]:8080)`},
		{"listen port", head + "http: {listen: \"localhost:http\"}\ncomponents: {web: {module: handler.wasm}}\n",
			`app.yaml:3: http.listen: "localhost:http" is not host:port (e.g. 127.0.0.1:8080, :8080, [::1]:8080)`},
		{"routes not a list", head + "http:\n  routes: {path: /}\ncomponents: {web: {module: handler.wasm}}\n", `app.yaml:4: http.routes: want a list, got a mapping`},
		{"route missing fields", head + "http:\n  routes:\n    - {}\ncomponents: {web: {module: handler.wasm}}\n",
			"app.yaml:5: http.routes[0].path: required: the URL path prefix the route serves, e.g. /\n" +
				"app.yaml:5: http.routes[0].component: required: the component that serves the route"},
		{"route path", head + "http:\n  routes:\n    - path: /api/\n      component: web\n    - path: a\n      component: web\n    - path: /a b\n      component: web\n    - path: /.well-known/wasmhive/health\n      component: web\ncomponents: {web: {module: handler.wasm}}\n",
			"app.yaml:5: http.routes[0].path: \"/api/\" is not a clean path; write \"/api\" (it also matches everything under it)\n" +
				"app.yaml:7: http.routes[1].path: \"a\" must start with /\n" +
				"app.yaml:9: http.routes[2].path: \"/a b\" is not a URL path prefix (no query, fragment or spaces)\n" +
				"app.yaml:11: http.routes[3].path: /.well-known/wasmhive/health is wasmhive's own health check"},
		{"duplicate route", head + "http:\n  routes:\n    - path: /\n      component: web\n    - {path: /x, component: web}\n    - path: /\n      component: web\ncomponents: {web: {module: handler.wasm}}\n",
			`app.yaml:8: http.routes[2].path: duplicate route "/" (first at line 5)`},
		{"route to unknown component", head + "http:\n  routes:\n    - path: /\n      component: wbe\ncomponents: {web: {module: reactor.wasm}, api: {module: reactor.wasm}}\n",
			`app.yaml:6: http.routes[0].component: unknown component "wbe"; known: web, api`},
		{"convention", head + "http:\n  routes:\n    - path: /\n      component: web\n      convention: grpc\ncomponents: {web: {module: handler.wasm}}\n",
			`app.yaml:7: http.routes[0].convention: unknown convention "grpc"; known: auto, handler, wagi, wasi-http`},
		{"wagi export", head + "http:\n  routes:\n    - path: /\n      component: web\n      convention: wagi\n      export: run\ncomponents: {web: {module: handler.wasm}}\n",
			"app.yaml:5: http.routes[0]: component web exports no _start, which the wagi convention runs (it is a reactor module)\n" +
				"app.yaml:8: http.routes[0].export: a wagi route runs the module's _start; export applies to the handler convention"},
		{"route component empty", head + "http:\n  routes:\n    - path: /\n      component:\n    - {path: /x, component: \"\"}\ncomponents: {web: {module: handler.wasm}}\n",
			"app.yaml:6: http.routes[0].component: required: the component that serves the route\n" +
				"app.yaml:7: http.routes[1].component: required: the component that serves the route"},
		{"route unknown field", head + "http:\n  routes:\n    - path: /\n      component: web\n      methods: [GET]\ncomponents: {web: {module: handler.wasm}}\n",
			`app.yaml:7: http.routes[0]: unknown field "methods"; known: path, component, convention, export`},

		// messaging.
		{"subjects", head + "messaging:\n  subscriptions:\n    - {subject: jobs..x, component: web}\n    - {subject: \"jobs.>.x\", component: web}\n    - {subject: \"jobs.a*\", component: web}\n    - {subject: \"a b\", component: web}\ncomponents: {web: {module: handler.wasm}}\n",
			"app.yaml:5: messaging.subscriptions[0].subject: \"jobs..x\" is not a NATS subject (empty token)\n" +
				"app.yaml:6: messaging.subscriptions[1].subject: \"jobs.>.x\" is not a NATS subject pattern: > must be the last token\n" +
				"app.yaml:7: messaging.subscriptions[2].subject: \"jobs.a*\" is not a NATS subject pattern: * and > are whole tokens (jobs.*, jobs.>)\n" +
				"app.yaml:8: messaging.subscriptions[3].subject: \"a b\" is not a NATS subject (no spaces)"},
		{"subscription", head + "messaging:\n  subscriptions:\n    - queue: \"two words\"\n    - {subject: jobs.*, component: worker}\n    - {subject: jobs.*, component: web, export: \"\"}\n    - {subject: jobs.*, component: web}\ncomponents: {web: {module: handler.wasm}}\n",
			"app.yaml:5: messaging.subscriptions[0].queue: \"two words\" is not a queue group name (no spaces)\n" +
				"app.yaml:5: messaging.subscriptions[0].subject: required: the NATS subject (or pattern, e.g. jobs.>) to subscribe to\n" +
				"app.yaml:5: messaging.subscriptions[0].component: required: the component called for each message\n" +
				"app.yaml:6: messaging.subscriptions[1].component: unknown component \"worker\"; known: web\n" +
				"app.yaml:7: messaging.subscriptions[2].export: empty; leave export out for the default, handle_message\n" +
				"app.yaml:8: messaging.subscriptions[3]: duplicate subscription of web to jobs.* (first at line 7)"},

		{"subscription component empty", head + "messaging:\n  subscriptions:\n    - subject: jobs.>\n      component:\ncomponents: {web: {module: handler.wasm}}\n",
			"app.yaml:6: messaging.subscriptions[0].component: required: the component called for each message"},

		// providers.
		{"keyvalue type", head + "providers:\n  keyvalue: {type: mysql}\ncomponents: {web: {module: handler.wasm}}\n",
			`app.yaml:4: providers.keyvalue.type: unknown keyvalue provider "mysql"; known: bolt, nats, redis`},
		{"redis without url", head + "providers:\n  keyvalue:\n    type: redis\ncomponents: {web: {module: handler.wasm}}\n",
			`app.yaml:5: providers.keyvalue.url: required for the redis provider (e.g. redis://127.0.0.1:6379/0)`},
		{"redis url", head + "providers:\n  keyvalue: {type: redis, url: \"http://x\"}\ncomponents: {web: {module: handler.wasm}}\n",
			`app.yaml:4: providers.keyvalue.url: "http://x" is not a redis URL (redis://host:6379/0)`},
		{"bolt url", head + "providers:\n  keyvalue:\n    url: redis://127.0.0.1:6379\ncomponents: {web: {module: handler.wasm}}\n",
			`app.yaml:5: providers.keyvalue.url: the bolt provider takes no url: it keeps its file in data_dir`},
		{"nats url", head + "providers:\n  keyvalue: {type: nats, url: \"redis://x:1\"}\n  messaging: {url: \"http://x:4222\"}\ncomponents: {web: {module: handler.wasm}}\n",
			"app.yaml:4: providers.keyvalue.url: \"redis://x:1\" is not a NATS URL (nats://host:4222)\n" +
				"app.yaml:5: providers.messaging.url: \"http://x:4222\" is not a NATS URL (nats://host:4222)"},
		{"replicas", head + "providers:\n  keyvalue:\n    type: nats\n    replicas: 7\ncomponents: {web: {module: handler.wasm}}\n",
			`app.yaml:6: providers.keyvalue.replicas: 7 replicas: JetStream keeps 1 to 5 (3 survives the loss of one server of three)`},
		{"replicas zero", head + "providers:\n  keyvalue: {type: nats, replicas: 0}\ncomponents: {web: {module: handler.wasm}}\n",
			`app.yaml:4: providers.keyvalue.replicas: 0 replicas: JetStream keeps 1 to 5 (3 survives the loss of one server of three)`},
		{"replicas not an integer", head + "providers:\n  keyvalue: {type: nats, replicas: three}\ncomponents: {web: {module: handler.wasm}}\n",
			`app.yaml:4: providers.keyvalue.replicas: want an integer, got "three"`},
		{"replicas bolt", head + "providers:\n  keyvalue:\n    replicas: 3\ncomponents: {web: {module: handler.wasm}}\n",
			`app.yaml:5: providers.keyvalue.replicas: only the nats provider keeps replicas (type: nats); bolt keeps one copy`},
		{"replicas redis", head + "providers:\n  keyvalue:\n    type: redis\n    url: redis://127.0.0.1:6379/0\n    replicas: 3\ncomponents: {web: {module: handler.wasm}}\n",
			`app.yaml:7: providers.keyvalue.replicas: only the nats provider keeps replicas (type: nats); redis keeps one copy`},
		{"replicas unknown type", head + "providers:\n  keyvalue: {type: etcd, replicas: 3}\ncomponents: {web: {module: handler.wasm}}\n",
			`app.yaml:4: providers.keyvalue.type: unknown keyvalue provider "etcd"; known: bolt, nats, redis`},
		{"url and listen", head + "providers:\n  messaging:\n    url: nats://127.0.0.1:4222\n    listen: 127.0.0.1:4222\ncomponents: {web: {module: handler.wasm}}\n",
			`app.yaml:6: providers.messaging.listen: listen configures the embedded NATS server, and with url set there is none`},
		{"provider unknown field", head + "providers:\n  blobstore: {}\ncomponents: {web: {module: handler.wasm}}\n",
			`app.yaml:4: providers: unknown field "blobstore"; known: keyvalue, messaging`},

		// components.
		{"no components", head + "components: {}\n", `app.yaml:3: components: an app needs at least one component (components: {NAME: {module: FILE.wasm}})`},
		{"components a list", head + "components:\n  - web\n", "app.yaml:3: components: an app needs at least one component (components: {NAME: {module: FILE.wasm}})\n" +
			"app.yaml:4: components: want a mapping, got a list"},
		{"component name", head + "components:\n  Web_1: {module: reactor.wasm}\n",
			`app.yaml:4: components: "Web_1" is not a valid component name: use lowercase letters, digits and '-', starting with a letter or digit, at most 63 characters`},
		{"component without module", head + "components:\n  web:\n    config: {a: b}\n  api:\n", "app.yaml:4: components.web.module: required: the path of the component's .wasm file\n" +
			"app.yaml:6: components.api.module: required: the path of the component's .wasm file"},
		{"module missing", head + "components:\n  web:\n    module: nowhere.wasm\n  api:\n    module: /nowhere/api.wasm\n",
			"app.yaml:5: components.web.module: nowhere.wasm: no such file (relative paths start at the manifest's directory, $DIR)\n" +
				"app.yaml:7: components.api.module: /nowhere/api.wasm: no such file"},
		{"module not a file", head + "components:\n  web:\n    module: files\n  api:\n    module: notwasm.txt\n  nul:\n    module: /dev/null\n  empty:\n    module: \"\"\n",
			"app.yaml:5: components.web.module: files is a directory, not a .wasm file\n" +
				"app.yaml:7: components.api.module: notwasm.txt is not a WebAssembly binary (it does not start with \\0asm)\n" +
				"app.yaml:9: components.nul.module: /dev/null is not a regular file\n" +
				"app.yaml:11: components.empty.module: required: the path of the component's .wasm file"},
		{"component not a mapping", head + "components:\n  web: handler.wasm\n", `app.yaml:4: components.web: want a mapping, got "handler.wasm"`},
		{"component unknown field", head + "components:\n  web:\n    module: reactor.wasm\n    wasm: reactor.wasm\n",
			`app.yaml:6: components.web: unknown field "wasm"; known: module, config, env, dirs, private_dir, grants, limits, instances, links, libraries, placement`},
		{"links", head + "components:\n  web:\n    module: reactor.wasm\n    links:\n      acme:a/b: nosuch\n      acme:c/d: web\n      acme:e/f: {timeout: 1s}\n      acme:g/h: {to: api, timeout: soon, color: red}\n      \"bad name\": api\n      acme:i/j: ~\n  api: {module: reactor.wasm}\n",
			"app.yaml:7: components.web.links.acme:a/b: unknown component \"nosuch\"; known: web, api\n" +
				"app.yaml:8: components.web.links.acme:c/d: a component cannot be linked to itself\n" +
				"app.yaml:9: components.web.links.acme:e/f.to: required: the component that exports acme:e/f\n" +
				"app.yaml:10: components.web.links.acme:g/h.timeout: want a duration such as 5s, 250ms or 1m30s, got \"soon\"\n" +
				"app.yaml:10: components.web.links.acme:g/h: unknown field \"color\"; known: to, timeout, instances\n" +
				"app.yaml:11: components.web.links: \"bad name\" is not an interface name: no spaces, control characters or '#'\n" +
				"app.yaml:12: components.web.links.acme:i/j.to: required: the component that exports acme:i/j"},
		{"link cycle", head + "components:\n  a:\n    module: reactor.wasm\n    links: {acme:x/y: b}\n  b:\n    module: reactor.wasm\n    links: {acme:x/y: c}\n  c:\n    module: reactor.wasm\n    links: {acme:z/z: a}\n",
			"app.yaml:6: components: link cycle: a -> b -> c -> a"},
		{"duplicate component", head + "components:\n  web: {module: reactor.wasm}\n  web: {module: reactor.wasm}\n", `app.yaml:5: components: duplicate key "web" (first at line 4)`},
		{"config and env", head + "components:\n  web:\n    module: reactor.wasm\n    config: [a, b]\n    env: {\"A=B\": x, C: [1]}\n",
			"app.yaml:6: components.web.config: want a mapping, got a list\n" +
				"app.yaml:7: components.web.env: \"A=B\" is not an environment variable name\n" +
				"app.yaml:7: components.web.env.C: want a string, got a list"},
		{"dirs", head + "components:\n  web:\n    module: reactor.wasm\n    dirs:\n      - {guest: /a}\n      - {host: nowhere}\n      - {host: notwasm.txt}\n      - {host: files, guest: data}\n      - {host: files, guest: /x, read_only: yes}\n      - {host: files, guest: /x}\n",
			"app.yaml:7: components.web.dirs[0].host: required: the host directory to expose\n" +
				"app.yaml:8: components.web.dirs[1].host: nowhere: no such directory (relative paths start at the manifest's directory, $DIR)\n" +
				"app.yaml:9: components.web.dirs[2].host: notwasm.txt is a file, not a directory\n" +
				"app.yaml:10: components.web.dirs[3].guest: guest path \"data\" must be absolute (e.g. /data)\n" +
				"app.yaml:11: components.web.dirs[4].read_only: want true or false, got \"yes\"\n" +
				"app.yaml:12: components.web.dirs[5]: guest path /x is already mapped at line 11"},
		{"unknown capability", head + "components:\n  web:\n    module: reactor.wasm\n    grants:\n      logging: {}\n      keyvalu: {}\n",
			`app.yaml:8: components.web.grants: unknown capability "keyvalu"; known: keyvalue, http, messaging, config, logging`},
		{"grants a list", head + "components:\n  web:\n    module: reactor.wasm\n    grants: [keyvalue]\n", `app.yaml:6: components.web.grants: want a mapping, got a list`},
		{"grant fields", head + "components:\n  web:\n    module: reactor.wasm\n    grants:\n      config: {all: true}\n      keyvalue: {bucket: \"a.b\", ttl: 5s}\n      http: {allowed_hosts: [\"https://api.example.com\", \"\"], timeout: -1s, max_response_bytes: 0}\n      messaging: {subjects: [\"a.>.b\"], timeout: soon}\n",
			"app.yaml:7: components.web.grants.config: unknown field \"all\"; this takes none\n" +
				"app.yaml:8: components.web.grants.keyvalue.bucket: bucket \"a.b\": use letters, digits, '-' and '_'\n" +
				"app.yaml:8: components.web.grants.keyvalue: unknown field \"ttl\"; known: bucket\n" +
				"app.yaml:9: components.web.grants.http.allowed_hosts[0]: \"https://api.example.com\" is not a host name or glob (api.example.com, *.example.com, *)\n" +
				"app.yaml:9: components.web.grants.http.allowed_hosts[1]: \"\" is not a host name or glob (api.example.com, *.example.com, *)\n" +
				"app.yaml:9: components.web.grants.http.timeout: -1s: a duration must not be negative\n" +
				"app.yaml:9: components.web.grants.http.max_response_bytes: \"0\": a size must be more than 0\n" +
				"app.yaml:10: components.web.grants.messaging.subjects[0]: \"a.>.b\" is not a NATS subject pattern: > must be the last token\n" +
				"app.yaml:10: components.web.grants.messaging.timeout: want a duration such as 5s, 250ms or 1m30s, got \"soon\""},
		{"limits", head + "components:\n  web:\n    module: reactor.wasm\n    limits:\n      memory: 1KiB\n      timeout: 5\n  api:\n    module: reactor.wasm\n    limits: {memory: [64MiB], timeout: {s: 5}}\n",
			"app.yaml:7: components.web.limits.memory: 1KiB is less than one WebAssembly page (64KiB)\n" +
				"app.yaml:8: components.web.limits.timeout: want a duration such as 5s, 250ms or 1m30s, got 5\n" +
				"app.yaml:11: components.api.limits.memory: want a size such as 64MiB, got a list\n" +
				"app.yaml:11: components.api.limits.timeout: want a duration such as 5s, 250ms or 1m30s, got a mapping"},
		{"instances", head + "components:\n  web:\n    module: reactor.wasm\n    instances:\n      min: -1\n      max: 1.5\n      fresh: 1\n  api:\n    module: reactor.wasm\n    instances: {min: 8, max: 4, idle_timeout: 1h, queue: -1, queue_timeout: 2s}\n",
			"app.yaml:7: components.web.instances.min: -1 is negative\n" +
				"app.yaml:8: components.web.instances.max: want an integer, got 1.5\n" +
				"app.yaml:9: components.web.instances.fresh: want true or false, got 1\n" +
				"app.yaml:12: components.api.instances.min: min 8 is more than max 4"},
		{"integer overflow", head + "components:\n  web:\n    module: reactor.wasm\n    instances: {max: 99999999999999999999}\n",
			`app.yaml:6: components.web.instances.max: want an integer, got 99999999999999999999`},
		{"libraries", head + "components:\n  web:\n    module: reactor.wasm\n    libraries:\n      - {name: env, module: reactor.wasm}\n      - {name: env, module: nowhere.wasm}\n      - {module: reactor.wasm}\n",
			"app.yaml:8: components.web.libraries[1].module: nowhere.wasm: no such file (relative paths start at the manifest's directory, $DIR)\n" +
				"app.yaml:8: components.web.libraries[1].name: library \"env\" is already defined at line 7\n" +
				"app.yaml:9: components.web.libraries[2].name: required: the import module name the library serves"},

		// Imports against grants.
		{"import not granted", head + "components:\n  kv:\n    module: kv.wasm\n    grants:\n      logging:\n",
			`app.yaml:6: components.kv.grants: the module imports wasmhive:keyvalue/store and wasmhive:keyvalue/atomics, but keyvalue is not granted; add keyvalue: {} under grants`},
		{"no grants", head + "components:\n  kv:\n    module: kv.wasm\n",
			"app.yaml:4: components.kv.grants: the module imports wasmhive:keyvalue/store and wasmhive:keyvalue/atomics, but keyvalue is not granted; add grants: {keyvalue: {}}\n" +
				"app.yaml:4: components.kv.grants: the module imports wasmhive:logging/logging, but logging is not granted; add grants: {logging: {}}"},
		{"library import not granted", head + "components:\n  web:\n    module: reactor.wasm\n    grants: {keyvalue: {}}\n    libraries:\n      - {name: lib, module: kv.wasm}\n",
			`app.yaml:6: components.web.grants: the library "lib" imports wasmhive:logging/logging, but logging is not granted; add logging: {} under grants`},

		// Routes and subscriptions against the components' exports.
		{"exports", head + "http:\n  routes:\n    - {path: /a, component: reactor}\n    - {path: /b, component: reactor, convention: handler, export: next}\n    - {path: /c, component: cmd, convention: handler}\n    - {path: /d, component: handler, convention: handler, export: nope}\n    - {path: /e, component: handler, convention: wagi}\n    - {path: /f, component: cmd}\n    - {path: /g, component: handler}\nmessaging:\n  subscriptions:\n    - {subject: a, component: reactor}\n    - {subject: b, component: handler, export: handle_http}\ncomponents:\n  reactor: {module: reactor.wasm}\n  cmd: {module: cmd.wasm}\n  handler: {module: handler.wasm}\n",
			"app.yaml:5: http.routes[0]: component reactor exports neither handle_http (handler convention) nor _start (wagi convention)\n" +
				"app.yaml:7: http.routes[2]: component cmd is a command (it exports _start): the handler convention cannot call its exports; use convention: wagi\n" +
				"app.yaml:8: http.routes[3]: component handler does not export nope, which the handler convention calls\n" +
				"app.yaml:9: http.routes[4]: component handler exports no _start, which the wagi convention runs (it is a reactor module)\n" +
				"app.yaml:14: messaging.subscriptions[0]: component reactor does not export handle_message, which each message calls"},

		// YAML features that work.
		{"merged problem", head + "components:\n  web: &base\n    module: reactor.wasm\n    limits: {memroy: 64MiB}\n  api:\n    <<: *base\n",
			"app.yaml:6: components.web.limits: unknown field \"memroy\"; known: " + limitNames + "\n" +
				"app.yaml:6: components.api.limits: unknown field \"memroy\"; known: " + limitNames},
		{"merge bad", head + "components:\n  web:\n    <<: [1]\n    module: reactor.wasm\n", `app.yaml:5: components.web: a merge key (<<) takes a mapping or a list of mappings`},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := problems(t, c.src)
			dir, _ := os.Getwd()
			want := strings.ReplaceAll(c.want, "$DIR", dir)
			if got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestValid(t *testing.T) {
	for _, c := range []struct{ name, src string }{
		{"minimal", head + "components: {web: {module: handler.wasm}}\n"},
		{"granted", head + "components:\n  kv:\n    module: kv.wasm\n    grants: {keyvalue: {}, logging: ~}\n"},
		{"merge", head + "components:\n  web: &base\n    module: reactor.wasm\n    limits: {memory: 64MiB}\n  api:\n    <<: *base\n    instances: {max: 2}\n"},
		{"nats", head + "providers:\n  keyvalue: {type: nats}\n  messaging: {url: \"nats://a:4222, nats://b:4222\"}\ncomponents: {web: {module: handler.wasm}}\n"},
		{"nats replicas", head + "providers:\n  keyvalue: {type: nats, replicas: 3}\ncomponents: {web: {module: handler.wasm}}\n"},
		{"nats replicas null", head + "providers:\n  keyvalue: {type: nats, replicas: ~}\ncomponents: {web: {module: handler.wasm}}\n"},
		{"redis", head + "providers:\n  keyvalue: {url: \"redis://127.0.0.1:6379/0\", type: redis}\ncomponents: {web: {module: handler.wasm}}\n"},
		{"listen ipv6", head + "http: {listen: \"[::1]:0\"}\ncomponents: {web: {module: handler.wasm}}\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := problems(t, c.src); got != "" {
				t.Errorf("problems:\n%s", got)
			}
		})
	}
}

// TestNullGrantGrants: a grant written with no value, null or {} grants;
// a capability not written is not granted.
func TestNullGrantGrants(t *testing.T) {
	appDir(t)
	app, err := Parse("app.yaml", []byte(head+"components:\n  web:\n    module: reactor.wasm\n    grants:\n      logging:\n      config: ~\n      keyvalue: {}\n"))
	if err != nil {
		t.Fatal(err)
	}
	g := app.Components[0].Config.Grants
	if g.Logging == nil || g.Config == nil || g.KeyValue == nil || g.HTTP != nil || g.Messaging != nil {
		t.Errorf("grants = %+v", g)
	}
}

// TestLoadFixture decodes testdata/manifests/valid.yaml into every field.
func TestLoadFixture(t *testing.T) {
	xdg := t.TempDir()
	t.Setenv("XDG_DATA_HOME", xdg)
	app, err := Load("../testdata/manifests/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := filepath.Abs("../testdata/manifests")
	guests, _ := filepath.Abs("../testdata/guests/http")
	want := &App{
		Version: 1,
		Name:    "fixture",
		DataDir: filepath.Join(xdg, "wasmhive", "apps", "fixture"),
		HTTP: HTTP{Listen: "127.0.0.1:0", ListenLine: 5, Routes: []Route{
			{Path: "/", Component: "web", Convention: httptrigger.Auto, Export: "handle_http", Line: 7},
			{Path: "/cgi", Component: "cgi", Convention: httptrigger.WAGI, Line: 9},
		}},
		Messaging: Messaging{Subscriptions: []Subscription{
			{Subject: "jobs.>", Component: "web", Queue: "workers", Export: "handle_message", Line: 14},
		}},
		Providers: wasmhive.Providers{KeyValue: wasmhive.KeyValueProvider{Type: "bolt"}},
		Components: []Component{
			{Name: "web", Line: 18, Config: wasmhive.ComponentConfig{
				Module: filepath.Join(dir, "worker.wasm"),
				Config: map[string]string{"greeting": "hello", "port": "8080"},
				Env:    map[string]string{"DEBUG": "true"},
				Dirs:   []wasmhive.Dir{{Host: guests, Guest: "/files", ReadOnly: true}},
				Grants: wasmhive.Grants{
					KeyValue: &wasmhive.KeyValueGrant{Bucket: "counter"},
					HTTP:     &wasmhive.HTTPGrant{AllowedHosts: []string{"*.example.com"}, Timeout: 10 * time.Second},
					Logging:  &wasmhive.LoggingGrant{},
				},
				Limits:    wasmhive.Limits{Memory: 64 << 20, Timeout: 5 * time.Second},
				Instances: wasmhive.Instances{Min: 1, Max: 16},
			}},
			{Name: "cgi", Line: 30, Config: wasmhive.ComponentConfig{Module: filepath.Join(guests, "wagi_hello.wasm")}},
		},
		Dir:  dir,
		File: "../testdata/manifests/valid.yaml",
	}
	if !reflect.DeepEqual(app, want) {
		t.Errorf("got  %+v\nwant %+v", app, want)
	}
	if s := app.Summary(); s != "2 components, 2 routes, 1 subscription" {
		t.Errorf("Summary = %q", s)
	}
	if c, ok := app.Component("cgi"); !ok || c.Name != "cgi" {
		t.Errorf("Component(cgi) = %v, %v", c, ok)
	}
	if _, ok := app.Component("nope"); ok {
		t.Error("Component(nope) found")
	}
}

func TestDataDir(t *testing.T) {
	dir := appDir(t)
	src := head + "components: {web: {module: handler.wasm}}\n"
	for _, c := range []struct{ name, xdg, home, extra, want string }{
		{"xdg", "/xdg", "/home/u", "", "/xdg/wasmhive/apps/app"},
		{"home", "", "/home/u", "", "/home/u/.local/share/wasmhive/apps/app"},
		{"relative xdg ignored", "rel", "/home/u", "", "/home/u/.local/share/wasmhive/apps/app"},
		{"relative data_dir", "/xdg", "/home/u", "data_dir: ./data\n", filepath.Join(dir, "data")},
		{"absolute data_dir", "/xdg", "/home/u", "data_dir: /var/lib/app\n", "/var/lib/app"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("XDG_DATA_HOME", c.xdg)
			t.Setenv("HOME", c.home)
			app, err := Parse("app.yaml", []byte(src+c.extra))
			if err != nil {
				t.Fatal(err)
			}
			if app.DataDir != c.want {
				t.Errorf("DataDir = %q, want %q", app.DataDir, c.want)
			}
		})
	}
	t.Run("no home", func(t *testing.T) {
		t.Setenv("XDG_DATA_HOME", "")
		t.Setenv("HOME", "")
		_, err := Parse("app.yaml", []byte(src))
		want := `app.yaml:2: data_dir: no data directory: set XDG_DATA_HOME or HOME, or give a data directory`
		if err == nil || err.Error() != want {
			t.Errorf("err = %v, want %s", err, want)
		}
	})
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "missing.yaml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	var me *Error
	if _, err := Load(dir); !errors.As(err, &me) || me.Error() != dir+": is a directory, not a manifest (e.g. app.yaml)" {
		t.Errorf("directory: %v", err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, make([]byte, MaxFileSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big); !errors.As(err, &me) || !strings.Contains(me.Error(), "a manifest is at most") {
		t.Errorf("big file: %v", err)
	}
}

// TestRelativePaths: paths resolve against the manifest's directory, not
// the working directory.
func TestRelativePaths(t *testing.T) {
	dir := appDir(t)
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	src := head + "components:\n  web:\n    module: ../reactor.wasm\n    dirs: [{host: ../files}]\n    libraries: [{name: env, module: ../kv.wasm}]\n    grants: {keyvalue: {}, logging: {}}\n"
	if err := os.WriteFile(filepath.Join(sub, "app.yaml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	app, err := Load(filepath.Join(sub, "app.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c := app.Components[0].Config
	if app.Dir != sub || c.Module != filepath.Join(dir, "reactor.wasm") || c.Dirs[0].Host != filepath.Join(dir, "files") || c.Libraries[0].Module != filepath.Join(dir, "kv.wasm") {
		t.Errorf("Dir %s, module %s, dir %s, library %s", app.Dir, c.Module, c.Dirs[0].Host, c.Libraries[0].Module)
	}
}

// TestTooManyProblems: an *Error lists MaxProblems problems and counts the
// rest in a last one.
func TestTooManyProblems(t *testing.T) {
	var env strings.Builder
	for i := range 150 {
		fmt.Fprintf(&env, "\"A%d=B\": x, ", i)
	}
	got := problems(t, head+"components:\n  web:\n    module: handler.wasm\n    env: {"+env.String()+"}\n")
	lines := strings.Split(got, "\n")
	if len(lines) != MaxProblems+1 || lines[len(lines)-1] != "app.yaml:6: and 50 more problems" {
		t.Errorf("%d lines, last %q", len(lines), lines[len(lines)-1])
	}
}

func TestProblemString(t *testing.T) {
	for _, c := range []struct {
		p    Problem
		want string
	}{
		{Problem{File: "app.yaml", Line: 3, Field: "name", Msg: "bad"}, "app.yaml:3: name: bad"},
		{Problem{File: "app.yaml", Line: 3, Msg: "bad"}, "app.yaml:3: bad"},
		{Problem{File: "app.yaml", Msg: "bad"}, "app.yaml: bad"},
		{Problem{Line: 3, Field: "name", Msg: "bad"}, "line 3: name: bad"},
	} {
		if got := c.p.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.p, got, c.want)
		}
	}
	app := &App{File: "app.yaml"}
	if got := app.Errorf(12, "components.web", "does not compile: %s", "oops").Error(); got != "app.yaml:12: components.web: does not compile: oops" {
		t.Errorf("Errorf: %q", got)
	}
}
