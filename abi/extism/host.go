package extism

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/engine"
)

// Import module names.
const (
	// EnvModule is the module of the Extism kernel and host functions.
	EnvModule = engine.ExtismEnvModule
	// BulkModule is wasmhive's bulk-copy extension (see the package doc).
	BulkModule = "wasmhive:host/bulk"
	// UserModule is the default import module of user host functions.
	UserModule = "extism:host/user"
)

// HostModule returns the engine.HostModule defining "extism:host/env" (add it
// with engine.Config.WithHostModule).
func HostModule() engine.HostModule { return envModule{} }

// BulkHostModule returns the engine.HostModule defining "wasmhive:host/bulk".
func BulkHostModule() engine.HostModule { return bulkModule{} }

// HostModules returns HostModule, BulkHostModule and KernelHostModule.
func HostModules() []engine.HostModule {
	return []engine.HostModule{envModule{}, bulkModule{}, kernelHost{}}
}

var errNoState = errors.New("extism: this instance has no Extism state (State.Attach was not called for it)")

// InstanceState returns the State attached to inst, if any.
func InstanceState(inst *engine.Instance) (*State, bool) { return stateKey.Of(inst) }

// StateOf returns the State of the instance a host function was called from
// (ctx and mod are the host function's arguments). It panics, stopping the
// call with an error, when that instance has no State.
func StateOf(ctx context.Context, rt *engine.Runtime, mod api.Module) *State {
	if s, ok := stateKey.Get(ctx, rt, mod); ok {
		if s.plug != nil {
			s.refresh()
		}
		return s
	}
	panic(errNoState)
}

const (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

type envModule struct{}

func (envModule) ModuleName() string { return EnvModule }

func (envModule) Define(rt *engine.Runtime, b wazero.HostModuleBuilder) {
	fn := func(name string, params, results []api.ValueType, f func(s *State, ctx context.Context, stack []uint64)) {
		b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
			f(StateOf(ctx, rt, mod), ctx, stack)
		}), params, results).WithName(name).Export(name)
	}
	none := []api.ValueType{}
	// Memory.
	fn("alloc", []api.ValueType{i64}, []api.ValueType{i64}, func(s *State, _ context.Context, st []uint64) {
		h := s.Alloc(st[0])
		if h != 0 {
			clear(s.mem[h : h+st[0]])
		}
		st[0] = h
	})
	fn("free", []api.ValueType{i64}, none, func(s *State, _ context.Context, st []uint64) { s.Free(st[0]) })
	fn("length", []api.ValueType{i64}, []api.ValueType{i64}, func(s *State, _ context.Context, st []uint64) { st[0] = s.Length(st[0]) })
	fn("length_unsafe", []api.ValueType{i64}, []api.ValueType{i64}, func(s *State, _ context.Context, st []uint64) { st[0] = s.Length(st[0]) })
	fn("load_u8", []api.ValueType{i64}, []api.ValueType{i32}, func(s *State, _ context.Context, st []uint64) {
		st[0] = uint64(s.loadU8("load_u8", st[0]))
	})
	fn("load_u64", []api.ValueType{i64}, []api.ValueType{i64}, func(s *State, _ context.Context, st []uint64) {
		st[0] = s.loadU64("load_u64", st[0])
	})
	fn("store_u8", []api.ValueType{i64, i32}, none, func(s *State, _ context.Context, st []uint64) {
		s.storeU8(st[0], byte(st[1]))
	})
	fn("store_u64", []api.ValueType{i64, i64}, none, func(s *State, _ context.Context, st []uint64) {
		s.storeU64(st[0], st[1])
	})
	fn("memory_bytes", none, []api.ValueType{i64}, func(s *State, _ context.Context, st []uint64) {
		st[0] = uint64(len(s.mem))
		if s.plug != nil {
			st[0] = s.held
		}
	})
	fn("reset", none, none, func(s *State, _ context.Context, _ []uint64) { s.Reset() })
	// Input and output.
	fn("input_length", none, []api.ValueType{i64}, func(s *State, _ context.Context, st []uint64) { st[0] = s.inLen })
	fn("input_offset", none, []api.ValueType{i64}, func(s *State, _ context.Context, st []uint64) { st[0] = s.inputHandle() })
	fn("input_load_u8", []api.ValueType{i64}, []api.ValueType{i32}, func(s *State, _ context.Context, st []uint64) {
		off := st[0]
		if off >= s.inLen {
			st[0] = 0 // past the input: 0, as Extism's kernel gives
			return
		}
		if s.plug != nil {
			s.inputHandle() // into the plugin's memory: the next loads are inline
		}
		st[0] = uint64(s.Input()[off])
	})
	fn("input_load_u64", []api.ValueType{i64}, []api.ValueType{i64}, func(s *State, _ context.Context, st []uint64) {
		off := st[0]
		if off >= s.inLen {
			st[0] = 0 // past the input: 0, as Extism's kernel gives
			return
		}
		if s.plug != nil {
			s.inputHandle()
		}
		in := s.Input()
		if s.inLen-off >= 8 {
			st[0] = binary64(in[off:])
			return
		}
		// A load straddling the end of the input: the bytes past it read as zero.
		var buf [8]byte
		copy(buf[:], in[off:])
		st[0] = binary64(buf[:])
	})
	fn("input_set", []api.ValueType{i64, i64}, none, func(s *State, _ context.Context, st []uint64) {
		if _, err := s.Range(st[0], st[1]); err != nil {
			s.fail(opErr("input_set", err))
		}
		s.input, s.inLen, s.inExt = st[0], st[1], nil
		s.sync()
	})
	fn("output_set", []api.ValueType{i64, i64}, none, func(s *State, _ context.Context, st []uint64) {
		if st[1] != 0 {
			if _, err := s.Range(st[0], st[1]); err != nil {
				s.fail(opErr("output_set", err))
			}
		}
		s.output, s.outLen, s.outExt = st[0], st[1], nil
	})
	fn("output_length", none, []api.ValueType{i64}, func(s *State, _ context.Context, st []uint64) { st[0] = s.outLen })
	fn("output_offset", none, []api.ValueType{i64}, func(s *State, _ context.Context, st []uint64) { st[0] = s.outputHandle() })
	// Errors.
	fn("error_set", []api.ValueType{i64}, none, func(s *State, _ context.Context, st []uint64) { s.errH = st[0] })
	fn("error_get", none, []api.ValueType{i64}, func(s *State, _ context.Context, st []uint64) { st[0] = s.errH })
	// Config and vars.
	fn("config_get", []api.ValueType{i64}, []api.ValueType{i64}, func(s *State, _ context.Context, st []uint64) {
		key := s.keyAt("config_get", st[0])
		v, ok := s.cfg.Config[key]
		if !ok {
			st[0] = 0
			return
		}
		st[0] = s.mustWrite([]byte(v))
	})
	fn("var_get", []api.ValueType{i64}, []api.ValueType{i64}, func(s *State, _ context.Context, st []uint64) {
		key := s.keyAt("var_get", st[0])
		v, ok := s.vars[key]
		if !ok {
			st[0] = 0
			return
		}
		st[0] = s.mustWrite(v)
	})
	fn("var_set", []api.ValueType{i64, i64}, none, func(s *State, _ context.Context, st []uint64) {
		key := s.keyAt("var_set", st[0])
		if st[1] == 0 {
			delete(s.vars, key)
			return
		}
		v, ok := s.Bytes(st[1])
		if !ok {
			s.fail(&HandleError{Op: "var_set", What: "value", Handle: st[1]})
		}
		if err := s.setVar(key, v); err != nil {
			s.fail(err)
		}
	})
	// HTTP.
	fn("http_request", []api.ValueType{i64, i64}, []api.ValueType{i64}, func(s *State, ctx context.Context, st []uint64) {
		st[0] = s.httpRequest(ctx, st[0], st[1])
	})
	fn("http_status_code", none, []api.ValueType{i32}, func(s *State, _ context.Context, st []uint64) {
		st[0] = api.EncodeI32(s.httpStatus)
	})
	fn("http_headers", none, []api.ValueType{i64}, func(s *State, _ context.Context, st []uint64) {
		if s.httpHdrs == nil {
			st[0] = 0
			return
		}
		b, _ := json.Marshal(s.httpHdrs)
		st[0] = s.mustWrite(b)
	})
	// Logging.
	for _, l := range []struct {
		name  string
		level slog.Level
	}{{"log_trace", LevelTrace}, {"log_debug", slog.LevelDebug}, {"log_info", slog.LevelInfo}, {"log_warn", slog.LevelWarn}, {"log_error", slog.LevelError}} {
		fn(l.name, []api.ValueType{i64}, none, func(s *State, ctx context.Context, st []uint64) {
			s.log(ctx, l.name, l.level, st[0])
		})
	}
	fn("get_log_level", none, []api.ValueType{i32}, func(s *State, _ context.Context, st []uint64) {
		st[0] = api.EncodeI32(s.logLevel)
	})
}

func binary64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// HandleError reports a handle that is not the start of an allocated block
// where one is required.
type HandleError struct {
	Op     string // the host function
	What   string // what the handle should hold, e.g. "key"
	Handle uint64
}

func (e *HandleError) Error() string {
	return e.Op + ": invalid handle for " + e.What + ": " + uitoa(e.Handle)
}

func uitoa(n uint64) string { return strconv.FormatUint(n, 10) }

func opErr(op string, err error) error {
	var ae *AccessError
	if errors.As(err, &ae) {
		c := *ae
		c.Op = op
		return &c
	}
	return err
}

func (s *State) keyAt(op string, h uint64) string {
	b, ok := s.Bytes(h)
	if !ok {
		s.fail(&HandleError{Op: op, What: "key", Handle: h})
	}
	return string(b)
}

func (s *State) mustWrite(b []byte) uint64 {
	h, err := s.Write(b)
	if err != nil {
		s.fail(err)
	}
	return h
}

func (s *State) log(ctx context.Context, op string, level slog.Level, h uint64) {
	if s.cfg.Logger == nil || !s.cfg.Logger.Enabled(ctx, level) {
		return
	}
	msg, ok := s.Bytes(h)
	if !ok {
		s.fail(&HandleError{Op: op, What: "message", Handle: h})
	}
	if s.cfg.Name != "" {
		s.cfg.Logger.Log(ctx, level, string(msg), slog.String("plugin", s.cfg.Name))
		return
	}
	s.cfg.Logger.Log(ctx, level, string(msg))
}

type bulkModule struct{}

func (bulkModule) ModuleName() string { return BulkModule }

func (bulkModule) Define(rt *engine.Runtime, b wazero.HostModuleBuilder) {
	fn := func(name string, params, results []api.ValueType, f func(s *State, mem api.Memory, stack []uint64)) {
		b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
			f(StateOf(ctx, rt, mod), mod.Memory(), stack)
		}), params, results).WithName(name).Export(name)
	}
	fn("read", []api.ValueType{i64, i64, i64}, nil, func(s *State, mem api.Memory, st []uint64) {
		src, err := s.Range(st[0], st[2])
		if err != nil {
			s.fail(opErr("bulk read", err))
		}
		copy(s.guest("bulk read", mem, st[1], st[2]), src)
	})
	fn("write", []api.ValueType{i64, i64, i64}, nil, func(s *State, mem api.Memory, st []uint64) {
		dst, err := s.Range(st[0], st[2])
		if err != nil {
			s.fail(opErr("bulk write", err))
		}
		copy(dst, s.guest("bulk write", mem, st[1], st[2]))
	})
	fn("input_read", []api.ValueType{i64, i64}, []api.ValueType{i64}, func(s *State, mem api.Memory, st []uint64) {
		n := min(st[1], s.inLen)
		copy(s.guest("bulk input_read", mem, st[0], n), s.Input()[:n])
		st[0] = n
	})
	fn("output_write", []api.ValueType{i64, i64}, nil, func(s *State, mem api.Memory, st []uint64) {
		src := s.guest("bulk output_write", mem, st[0], st[1])
		// The output stays outside kernel memory (one copy less) unless the
		// plugin asks for its handle with output_offset.
		s.output, s.outLen, s.outExt = 0, st[1], nil
		switch {
		case st[1] == 0:
		case s.borrow:
			s.outBuf = append(s.outBuf[:0], src...)
			s.outExt = s.outBuf
		default:
			s.outExt = append([]byte(nil), src...)
		}
	})
}

// GuestAccessError reports a guest linear memory range outside its memory.
type GuestAccessError struct {
	Op       string
	Ptr, Len uint64
	Size     uint64
}

func (e *GuestAccessError) Error() string {
	return e.Op + ": guest memory access out of bounds: [" + uitoa(e.Ptr) + ", " + uitoa(e.Ptr) + "+" + uitoa(e.Len) + ") outside [0, " + uitoa(e.Size) + ")"
}

// guest returns guest memory [ptr, ptr+n) or stops the call.
func (s *State) guest(op string, mem api.Memory, ptr, n uint64) []byte {
	var size uint64
	if mem != nil {
		size = uint64(mem.Size())
	}
	if mem == nil || ptr > size || n > size-ptr {
		s.fail(&GuestAccessError{Op: op, Ptr: ptr, Len: n, Size: size})
	}
	if n == 0 {
		return nil
	}
	b, _ := mem.Read(uint32(ptr), uint32(n))
	return b
}
