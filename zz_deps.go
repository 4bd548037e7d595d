// Temporary: keeps the providers' dependencies in go.mod until their packages import them. Deleted before release.
package wasmhive

import (
	_ "github.com/nats-io/nats-server/v2/server"
	_ "github.com/nats-io/nats.go"
	_ "github.com/nats-io/nats.go/jetstream"
	_ "github.com/redis/go-redis/v9"
	_ "go.etcd.io/bbolt"
	_ "go.yaml.in/yaml/v3"
)
