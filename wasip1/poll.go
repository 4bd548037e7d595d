package wasip1

import (
	"context"
	"encoding/binary"
	"time"

	"github.com/tetratelabs/wazero/api"
)

type subscription struct {
	userdata uint64
	tag      uint8
	deadline time.Time // clock
	fd       uint32    // fd_read, fd_write
	entry    *fdEntry
}

type event struct {
	userdata uint64
	errno    Errno
	typ      uint8
	nbytes   uint64
	flags    uint16
}

// pollOneoff waits for clocks and for stdio/file readiness as Wasmtime does:
// files and output streams are always ready, stdin is ready when a read
// would not block (data or end of input), and a clock fires at its deadline.
// No subscription is EINVAL; a bad descriptor or clock fails the whole call.
func pollOneoff(s *State, ctx context.Context, mem api.Memory, st []uint64) Errno {
	in, out, n, resultPtr := u32(st[0]), u32(st[1]), u32(st[2]), u32(st[3])
	if n == 0 {
		return EINVAL
	}
	if uint64(n)*sizeSubscription > 1<<32-1 {
		return EFAULT
	}
	raw, ok := mem.Read(in, n*sizeSubscription)
	if !ok {
		return EFAULT
	}
	if _, ok := mem.Read(out, n*sizeEvent); !ok {
		return EFAULT
	}
	now := time.Now()
	subs := make([]subscription, n)
	for i := range subs {
		b := raw[i*sizeSubscription : (i+1)*sizeSubscription]
		sub := subscription{userdata: binary.LittleEndian.Uint64(b[0:]), tag: b[8]}
		switch sub.tag {
		case eventtypeClock:
			id := binary.LittleEndian.Uint32(b[16:])
			timeout := binary.LittleEndian.Uint64(b[24:])
			abs := binary.LittleEndian.Uint16(b[40:])&subclockAbstime != 0
			switch {
			case id != clockRealtime && id != clockMonotonic:
				return EINVAL
			case !abs:
				sub.deadline = now.Add(time.Duration(min(timeout, 1<<62)))
			case id == clockMonotonic:
				sub.deadline = s.epoch.Add(time.Duration(min(timeout, 1<<62)))
			default:
				sub.deadline = time.Unix(0, int64(min(timeout, 1<<62)))
			}
		case eventtypeFdRead, eventtypeFdWrite:
			sub.fd = binary.LittleEndian.Uint32(b[16:])
			e, errno := s.get(sub.fd)
			if errno != ESUCCESS {
				return errno
			}
			switch {
			case e.kind == kindFile:
			case sub.tag == eventtypeFdRead && e.kind == kindStdin:
			case sub.tag == eventtypeFdWrite && (e.kind == kindStdout || e.kind == kindStderr):
			default:
				return EBADF
			}
			sub.entry = e
		default:
			return EINVAL
		}
		subs[i] = sub
	}

	events := make([]event, 0, n)
	for {
		events = events[:0]
		var wait <-chan struct{}
		var next time.Time
		now := time.Now()
		for _, sub := range subs {
			switch sub.tag {
			case eventtypeClock:
				if !now.Before(sub.deadline) {
					events = append(events, event{userdata: sub.userdata, typ: eventtypeClock})
				} else if next.IsZero() || sub.deadline.Before(next) {
					next = sub.deadline
				}
			case eventtypeFdWrite:
				events = append(events, event{userdata: sub.userdata, typ: eventtypeFdWrite, nbytes: 1})
			case eventtypeFdRead:
				if sub.entry.kind == kindStdin {
					ready, ch := s.stdin.ready()
					if ready {
						events = append(events, event{userdata: sub.userdata, typ: eventtypeFdRead, nbytes: 1})
					} else {
						wait = ch
					}
					continue
				}
				ev := event{userdata: sub.userdata, typ: eventtypeFdRead, nbytes: 1}
				if fi, err := sub.entry.file.Stat(); err == nil {
					sub.entry.mu.Lock()
					if uint64(fi.Size()) <= sub.entry.pos {
						ev.flags = eventFdReadHangup
					}
					sub.entry.mu.Unlock()
				}
				events = append(events, ev)
			}
		}
		if len(events) > 0 {
			break
		}
		var timer <-chan time.Time
		if !next.IsZero() {
			t := time.NewTimer(time.Until(next))
			defer t.Stop()
			timer = t.C
		}
		select {
		case <-wait:
		case <-timer:
		case <-ctx.Done():
			stopGuest(ctx)
		}
	}
	buf, _ := mem.Read(out, uint32(len(events))*sizeEvent)
	clear(buf)
	for i, ev := range events {
		b := buf[i*sizeEvent:]
		binary.LittleEndian.PutUint64(b[0:], ev.userdata)
		binary.LittleEndian.PutUint16(b[8:], uint16(ev.errno))
		b[10] = ev.typ
		binary.LittleEndian.PutUint64(b[16:], ev.nbytes)
		binary.LittleEndian.PutUint16(b[24:], ev.flags)
	}
	if !writeU32(mem, resultPtr, uint32(len(events))) {
		return EFAULT
	}
	return ESUCCESS
}
