package rediskv_test

import (
	"context"
	"testing"

	"github.com/wasmhive/wasmhive/capability/keyvalue"
	"github.com/wasmhive/wasmhive/capability/keyvalue/internal/kvservers"
	"github.com/wasmhive/wasmhive/capability/keyvalue/kvtest"
	"github.com/wasmhive/wasmhive/capability/keyvalue/rediskv"
)

func TestConformance(t *testing.T) {
	url := kvservers.Redis(t)
	kvtest.Run(t, func(t *testing.T) keyvalue.Store {
		s, err := rediskv.New(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
