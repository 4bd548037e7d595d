package wasip2

import (
	"context"

	"github.com/wasmhive/wasmhive/abi/canonical"
)

// descMethod is a descriptor method: d is the descriptor's representation
// (its existence is checked by the State method, bad-descriptor).
type descMethod func(ctx context.Context, s *State, d uint32, args []canonical.Value) (canonical.Value, error)

func defineFilesystem(l registrar) {
	t := iface(l, "wasi:filesystem/types")
	resource[*descriptor](t, "descriptor")
	resource[*dirStream](t, "directory-entry-stream")
	m := func(name string, f descMethod) {
		t.fn("[method]descriptor."+name, func(ctx context.Context, s *State, args []canonical.Value) (canonical.Value, error) {
			rep, err := handle(args, 0)
			if err != nil {
				return nil, err
			}
			return f(ctx, s, rep, args)
		})
	}
	own := func(rep uint32, err error) (canonical.Value, error) {
		return fsResult(canonical.Own{Rep: rep}, err)
	}
	unit := func(err error) (canonical.Value, error) { return fsResult(nil, err) }

	m("read-via-stream", func(_ context.Context, s *State, d uint32, args []canonical.Value) (canonical.Value, error) {
		off, err := arg[uint64](args, 1)
		if err != nil {
			return nil, err
		}
		return own(s.readViaStream(d, off))
	})
	m("write-via-stream", func(_ context.Context, s *State, d uint32, args []canonical.Value) (canonical.Value, error) {
		off, err := arg[uint64](args, 1)
		if err != nil {
			return nil, err
		}
		return own(s.writeViaStream(d, off, false))
	})
	m("append-via-stream", func(_ context.Context, s *State, d uint32, _ []canonical.Value) (canonical.Value, error) {
		return own(s.writeViaStream(d, 0, true))
	})
	m("advise", func(_ context.Context, s *State, d uint32, args []canonical.Value) (canonical.Value, error) {
		if _, err := arg[uint64](args, 1); err != nil {
			return nil, err
		}
		if _, err := arg[uint64](args, 2); err != nil {
			return nil, err
		}
		a, err := arg[canonical.Enum](args, 3)
		if err != nil {
			return nil, err
		}
		return unit(s.advise(d, uint32(a)))
	})
	syncFn := func(_ context.Context, s *State, d uint32, _ []canonical.Value) (canonical.Value, error) {
		return unit(s.sync(d))
	}
	m("sync-data", syncFn)
	m("sync", syncFn)
	m("get-flags", func(_ context.Context, s *State, d uint32, _ []canonical.Value) (canonical.Value, error) {
		f, err := s.getFlags(d)
		return fsResult(canonical.Flags(f), err)
	})
	m("get-type", func(_ context.Context, s *State, d uint32, _ []canonical.Value) (canonical.Value, error) {
		typ, err := s.getType(d)
		return fsResult(canonical.Enum(typ), err)
	})
	m("set-size", func(_ context.Context, s *State, d uint32, args []canonical.Value) (canonical.Value, error) {
		n, err := arg[uint64](args, 1)
		if err != nil {
			return nil, err
		}
		return unit(s.setSize(d, n))
	})
	m("set-times", func(_ context.Context, s *State, d uint32, args []canonical.Value) (canonical.Value, error) {
		a, err := newTimestamp(args, 1)
		if err != nil {
			return fsResult(nil, err)
		}
		mt, err := newTimestamp(args, 2)
		if err != nil {
			return fsResult(nil, err)
		}
		return unit(s.setTimes(d, a, mt))
	})
	m("read", func(_ context.Context, s *State, d uint32, args []canonical.Value) (canonical.Value, error) {
		n, err := arg[uint64](args, 1)
		if err != nil {
			return nil, err
		}
		off, err := arg[uint64](args, 2)
		if err != nil {
			return nil, err
		}
		b, end, err := s.read(d, n, off)
		return fsResult(canonical.Tuple{b, end}, err)
	})
	m("write", func(_ context.Context, s *State, d uint32, args []canonical.Value) (canonical.Value, error) {
		b, err := arg[[]byte](args, 1)
		if err != nil {
			return nil, err
		}
		off, err := arg[uint64](args, 2)
		if err != nil {
			return nil, err
		}
		n, err := s.write(d, b, off)
		return fsResult(n, err)
	})
	m("read-directory", func(_ context.Context, s *State, d uint32, _ []canonical.Value) (canonical.Value, error) {
		return own(s.readDirectory(d))
	})
	m("create-directory-at", pathMethod(func(s *State, d uint32, p string) error { return s.createDirectoryAt(d, p) }))
	m("remove-directory-at", pathMethod(func(s *State, d uint32, p string) error { return s.removeDirectoryAt(d, p) }))
	m("unlink-file-at", pathMethod(func(s *State, d uint32, p string) error { return s.unlinkFileAt(d, p) }))
	m("stat", func(_ context.Context, s *State, d uint32, _ []canonical.Value) (canonical.Value, error) {
		st, err := s.stat(d)
		return fsResult(statValue(st), err)
	})
	m("stat-at", func(_ context.Context, s *State, d uint32, args []canonical.Value) (canonical.Value, error) {
		pf, p, err := pathFlagsAndPath(args, 1)
		if err != nil {
			return nil, err
		}
		st, err := s.statAt(d, pf, p)
		return fsResult(statValue(st), err)
	})
	m("set-times-at", func(_ context.Context, s *State, d uint32, args []canonical.Value) (canonical.Value, error) {
		pf, p, err := pathFlagsAndPath(args, 1)
		if err != nil {
			return nil, err
		}
		a, err := newTimestamp(args, 3)
		if err != nil {
			return fsResult(nil, err)
		}
		mt, err := newTimestamp(args, 4)
		if err != nil {
			return fsResult(nil, err)
		}
		return unit(s.setTimesAt(d, pf, p, a, mt))
	})
	m("link-at", func(_ context.Context, s *State, d uint32, args []canonical.Value) (canonical.Value, error) {
		pf, op, err := pathFlagsAndPath(args, 1)
		if err != nil {
			return nil, err
		}
		nd, err := handle(args, 3)
		if err != nil {
			return nil, err
		}
		np, err := arg[string](args, 4)
		if err != nil {
			return nil, err
		}
		return unit(s.linkAt(d, pf, op, nd, np))
	})
	m("open-at", func(_ context.Context, s *State, d uint32, args []canonical.Value) (canonical.Value, error) {
		pf, p, err := pathFlagsAndPath(args, 1)
		if err != nil {
			return nil, err
		}
		of, err := flagsArg(args, 3)
		if err != nil {
			return nil, err
		}
		df, err := flagsArg(args, 4)
		if err != nil {
			return nil, err
		}
		return own(s.openAt(d, pf, p, OpenFlags(of), DescriptorFlags(df)))
	})
	m("readlink-at", func(_ context.Context, s *State, d uint32, args []canonical.Value) (canonical.Value, error) {
		p, err := arg[string](args, 1)
		if err != nil {
			return nil, err
		}
		target, err := s.readlinkAt(d, p)
		return fsResult(target, err)
	})
	m("rename-at", func(_ context.Context, s *State, d uint32, args []canonical.Value) (canonical.Value, error) {
		op, err := arg[string](args, 1)
		if err != nil {
			return nil, err
		}
		nd, err := handle(args, 2)
		if err != nil {
			return nil, err
		}
		np, err := arg[string](args, 3)
		if err != nil {
			return nil, err
		}
		return unit(s.renameAt(d, op, nd, np))
	})
	m("symlink-at", func(_ context.Context, s *State, d uint32, args []canonical.Value) (canonical.Value, error) {
		target, err := arg[string](args, 1)
		if err != nil {
			return nil, err
		}
		np, err := arg[string](args, 2)
		if err != nil {
			return nil, err
		}
		return unit(s.symlinkAt(d, target, np))
	})
	m("is-same-object", func(_ context.Context, s *State, d uint32, args []canonical.Value) (canonical.Value, error) {
		other, err := handle(args, 1)
		if err != nil {
			return nil, err
		}
		return s.isSameObject(d, other)
	})
	hash := func(h [2]uint64, err error) (canonical.Value, error) {
		return fsResult(canonical.Record{h[0], h[1]}, err)
	}
	m("metadata-hash", func(_ context.Context, s *State, d uint32, _ []canonical.Value) (canonical.Value, error) {
		return hash(s.metadataHash(d))
	})
	m("metadata-hash-at", func(_ context.Context, s *State, d uint32, args []canonical.Value) (canonical.Value, error) {
		pf, p, err := pathFlagsAndPath(args, 1)
		if err != nil {
			return nil, err
		}
		return hash(s.metadataHashAt(d, pf, p))
	})

	t.fn("[method]directory-entry-stream.read-directory-entry", func(_ context.Context, s *State, args []canonical.Value) (canonical.Value, error) {
		rep, err := handle(args, 0)
		if err != nil {
			return nil, err
		}
		e, ok, err := s.readDirectoryEntry(rep)
		if err != nil {
			return nil, err
		}
		if !ok {
			return canonical.OK(canonical.None), nil
		}
		return canonical.OK(canonical.Some(canonical.Record{canonical.Enum(e.typ), e.name})), nil
	})
	t.fn("filesystem-error-code", func(_ context.Context, s *State, args []canonical.Value) (canonical.Value, error) {
		rep, err := handle(args, 0)
		if err != nil {
			return nil, err
		}
		e, ok := lookup[*ioError](s, rep)
		if !ok {
			return nil, errNoResource("error", rep)
		}
		if c, ok := e.code(); ok {
			return canonical.Some(canonical.Enum(c)), nil
		}
		return canonical.None, nil
	})

	iface(l, "wasi:filesystem/preopens").fn("get-directories", func(_ context.Context, s *State, _ []canonical.Value) (canonical.Value, error) {
		reps, names, err := s.getDirectories()
		if err != nil {
			return nil, err
		}
		list := make(canonical.List, len(reps))
		for i := range reps {
			list[i] = canonical.Tuple{canonical.Own{Rep: reps[i]}, names[i]}
		}
		return list, nil
	})
}

// pathMethod binds a descriptor method of one path argument and no result.
func pathMethod(f func(s *State, d uint32, p string) error) descMethod {
	return func(_ context.Context, s *State, d uint32, args []canonical.Value) (canonical.Value, error) {
		p, err := arg[string](args, 1)
		if err != nil {
			return nil, err
		}
		return fsResult(nil, f(s, d, p))
	}
}

func pathFlagsAndPath(args []canonical.Value, i int) (PathFlags, string, error) {
	pf, err := flagsArg(args, i)
	if err != nil {
		return 0, "", err
	}
	p, err := arg[string](args, i+1)
	if err != nil {
		return 0, "", err
	}
	return PathFlags(pf), p, nil
}
