package wasmhive
import (
	_ "github.com/nats-io/nats-server/v2/server"
	_ "github.com/nats-io/nats.go"
	_ "github.com/nats-io/nats.go/jetstream"
	_ "go.etcd.io/bbolt"
	_ "github.com/redis/go-redis/v9"
	_ "go.yaml.in/yaml/v3"
)
