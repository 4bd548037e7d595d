package manifest_test

import (
	"errors"
	"fmt"

	"github.com/wasmhive/wasmhive/manifest"
)

// The file name locates the module (worker.wasm, beside it); the file
// itself is not read.
func ExampleParse() {
	app, err := manifest.Parse("../testdata/manifests/app.yaml", []byte(`
version: 1
name: hello
http:
  routes:
    - path: /
      component: web
components:
  web:
    module: worker.wasm
    grants:
      logging:
    limits: {memory: 64MiB, timeout: 5s}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	web := app.Components[0]
	fmt.Println(app.Name, app.HTTP.Listen, app.Summary())
	fmt.Println(web.Name, web.Config.Limits.Memory, web.Config.Limits.Timeout, web.Config.Grants.Has("logging"), web.Config.Grants.Has("http"))
	r := app.HTTP.Routes[0]
	fmt.Println(r.Path, r.Component, r.Convention, r.Export, "line", r.Line)
	// Output:
	// hello 127.0.0.1:8080 1 component, 1 route, 0 subscriptions
	// web 64MiB 5s true false
	// / web auto handle_http line 6
}

// Every problem of a manifest is reported, one per line, in file order.
func ExampleError() {
	_, err := manifest.Parse("../testdata/manifests/app.yaml", []byte(`
version: 1
name: hello
components:
  web:
    module: worker.wasm
    grants:
      keyvalu: {}
    instances: {max: lots}
`))
	var me *manifest.Error
	if errors.As(err, &me) {
		for _, p := range me.Problems {
			fmt.Printf("line %d, %s: %s\n", p.Line, p.Field, p.Msg)
		}
	}
	// Output:
	// line 8, components.web.grants: unknown capability "keyvalu"; known: keyvalue, http, messaging, config, logging
	// line 9, components.web.instances.max: want an integer, got "lots"
}

// A config value may come from wasmhive's environment or a file, and be
// secret; the manifest holds where it comes from, never the value. The
// claims section is the app's policy on signed modules.
func ExampleApp_Claims() {
	app, err := manifest.Parse("../testdata/manifests/app.yaml", []byte(`
version: 1
name: hello
claims:
  require: true
  trusted_issuers: [ABY3IWM4PX4267ETIJTKZR3OYOJ4Z7JCOVTPUMPOZFXGZVDHKVCE3CJU]
components:
  web:
    module: worker.wasm
    private_dir: /data
    config:
      greeting: hello
      token: {env: API_TOKEN, secret: true}
    limits: {request_bytes: 1MiB, keyvalue_keys_per_call: 100, fuel: 5000000}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	web := app.Components[0].Config
	fmt.Println(app.Claims.Require, len(app.Claims.TrustedIssuers))
	fmt.Println(web.PrivateDir, web.Config["greeting"], web.ConfigFrom["token"].Env, web.ConfigFrom["token"].Secret)
	fmt.Println(web.Limits.RequestBytes, web.Limits.KeyValueKeysPerCall, web.Limits.Fuel)
	// Output:
	// true 1
	// /data hello API_TOKEN true
	// 1MiB 100 5000000
}
