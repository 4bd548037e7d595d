// Package config is the guest side of wasmhive's config capability
// (wasmhive:config/store, docs/capabilities.md): the component's own
// configuration values. The component needs grants.config.
//
// Unlike pdk.GetConfig (Extism's config_get), an empty value is told apart
// from an unset key.
package config

import (
	"errors"

	"github.com/wasmhive/wasmhive/internal/capwire"
	"github.com/wasmhive/wasmhive/pdk"
)

// ErrNotFound is returned by Get for a key that is not set.
var ErrNotFound = errors.New("config: key not set")

// Error is an ERROR reply of the host.
type Error struct {
	Func    string // "get" or "get_all"
	Message string
}

func (e *Error) Error() string { return "config " + e.Func + ": " + e.Message }

// Get returns the value of key, or ErrNotFound.
func Get(key string) (string, error) {
	k := pdk.AllocateString(key)
	status, v, err := reply("get", hostGet(k.Offset()))
	k.Free()
	switch {
	case err != nil:
		return "", err
	case status == capwire.StatusNone:
		return "", ErrNotFound
	}
	return string(v), nil
}

// GetAll returns every configuration value.
func GetAll() (map[string]string, error) {
	_, p, err := reply("get_all", hostGetAll())
	if err != nil {
		return nil, err
	}
	r := capwire.NewReader(p)
	n := r.Count(8)
	m := make(map[string]string, n)
	for i := 0; i < n && r.Err() == nil; i++ {
		k := r.String()
		m[k] = r.String()
	}
	if r.Err() != nil {
		return nil, &Error{Func: "get_all", Message: "malformed reply from the host"}
	}
	return m, nil
}

// reply reads and frees the reply block h.
func reply(fn string, h uint64) (byte, []byte, error) {
	m := pdk.FindMemory(h)
	b := m.Bytes()
	m.Free()
	status, payload, err := capwire.ParseReply(b)
	switch {
	case err != nil:
		return 0, nil, &Error{Func: fn, Message: "malformed reply from the host"}
	case status == capwire.StatusError:
		return 0, nil, &Error{Func: fn, Message: string(payload)}
	}
	return status, payload, nil
}
