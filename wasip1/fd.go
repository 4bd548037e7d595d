package wasip1

import (
	"context"
	"io"
	"os"

	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/internal/atfile"
)

// filestat is the WASI filestat structure.
type filestat struct {
	dev, ino         uint64
	filetype         uint8
	nlink, size      uint64
	atim, mtim, ctim uint64
}

func (fs *filestat) write(mem api.Memory, ptr uint32) Errno {
	b, ok := mem.Read(ptr, sizeFilestat)
	if !ok {
		return EFAULT
	}
	le := func(off int, v uint64) {
		for i := 0; i < 8; i++ {
			b[off+i] = byte(v >> (8 * i))
		}
	}
	le(0, fs.dev)
	le(8, fs.ino)
	le(16, uint64(fs.filetype))
	le(24, fs.nlink)
	le(32, fs.size)
	le(40, fs.atim)
	le(48, fs.mtim)
	le(56, fs.ctim)
	return ESUCCESS
}

// dirent is one directory entry for fd_readdir.
type dirent struct {
	name     string
	ino      uint64
	filetype uint8
}

// setTime is one timestamp of a *_set_times call.
type setTime struct {
	omit, now bool
	ns        int64
}

// timesOf decodes fst_flags as Wasmtime: a time both given and "now" is EINVAL.
func timesOf(atim, mtim uint64, flags uint16) (a, m setTime, errno Errno) {
	if flags&^(fstAtim|fstAtimNow|fstMtim|fstMtimNow) != 0 {
		return a, m, EINVAL
	}
	if flags&fstAtim != 0 && flags&fstAtimNow != 0 || flags&fstMtim != 0 && flags&fstMtimNow != 0 {
		return a, m, EINVAL
	}
	a = setTime{omit: flags&(fstAtim|fstAtimNow) == 0, now: flags&fstAtimNow != 0, ns: int64(atim)}
	m = setTime{omit: flags&(fstMtim|fstMtimNow) == 0, now: flags&fstMtimNow != 0, ns: int64(mtim)}
	return a, m, ESUCCESS
}

// iovecs appends the guest buffers of an iovec array to out (callers pass a
// small array on their stack, so the common case allocates nothing).
func iovecs(mem api.Memory, ptr, n uint32, out [][]byte) ([][]byte, Errno) {
	if n > 1024 {
		return nil, EINVAL
	}
	for i := uint32(0); i < n; i++ {
		raw, ok := mem.Read(ptr+8*i, 8)
		if !ok {
			return nil, EFAULT
		}
		off := uint32(raw[0]) | uint32(raw[1])<<8 | uint32(raw[2])<<16 | uint32(raw[3])<<24
		l := uint32(raw[4]) | uint32(raw[5])<<8 | uint32(raw[6])<<16 | uint32(raw[7])<<24
		b, ok := mem.Read(off, l)
		if !ok {
			return nil, EFAULT
		}
		out = append(out, b)
	}
	return out, ESUCCESS
}

// fileOf returns fd when it is an open file (not stdio, not a directory),
// else EBADF, as Wasmtime.
func (s *State) fileOf(fd uint32) (*fdEntry, Errno) {
	e, errno := s.get(fd)
	if errno != ESUCCESS {
		return nil, errno
	}
	if e.kind != kindFile {
		return nil, EBADF
	}
	return e, ESUCCESS
}

// seekableOf is fileOf, with ESPIPE for stdio.
func (s *State) seekableOf(fd uint32) (*fdEntry, Errno) {
	e, errno := s.get(fd)
	if errno != ESUCCESS {
		return nil, errno
	}
	switch e.kind {
	case kindFile:
		return e, ESUCCESS
	case kindStdin, kindStdout, kindStderr:
		return nil, ESPIPE
	}
	return nil, EBADF
}

// dirOf returns fd when it is a directory, else EBADF.
func (s *State) dirOf(fd uint32) (*fdEntry, Errno) {
	e, errno := s.get(fd)
	if errno != ESUCCESS {
		return nil, errno
	}
	if e.kind != kindDir {
		return nil, EBADF
	}
	return e, ESUCCESS
}

func fdAdvise(s *State, _ context.Context, _ api.Memory, st []uint64) Errno {
	if _, errno := s.fileOf(u32(st[0])); errno != ESUCCESS {
		return errno
	}
	if u32(st[3]) > 5 {
		return EINVAL
	}
	return ESUCCESS // advice is only a hint
}

func fdAllocate(s *State, _ context.Context, _ api.Memory, st []uint64) Errno {
	if _, errno := s.fileOf(u32(st[0])); errno != ESUCCESS {
		return errno
	}
	return ENOTSUP // as Wasmtime
}

func fdClose(s *State, _ context.Context, _ api.Memory, st []uint64) Errno {
	e, errno := s.remove(u32(st[0]))
	if errno != ESUCCESS {
		return errno
	}
	e.close()
	return ESUCCESS
}

func fdDatasync(s *State, _ context.Context, _ api.Memory, st []uint64) Errno {
	e, errno := s.fileOf(u32(st[0]))
	if errno != ESUCCESS {
		return errno
	}
	return errnoOf(e.file.Sync())
}

func fdSync(s *State, ctx context.Context, mem api.Memory, st []uint64) Errno {
	return fdDatasync(s, ctx, mem, st)
}

func fdFdstatGet(s *State, _ context.Context, mem api.Memory, st []uint64) Errno {
	e, errno := s.get(u32(st[0]))
	if errno != ESUCCESS {
		return errno
	}
	var ft uint8
	var flags uint16
	var base, inh uint64
	switch e.kind {
	case kindStdin:
		ft, base = stdioFiletype(e.stdio), rightFdRead
		inh = base
	case kindStdout, kindStderr:
		ft, base = stdioFiletype(e.stdio), rightFdWrite
		inh = base
	case kindDir:
		ft = filetypeDirectory
		if e.isPreopen {
			base, inh = preopenRightsBase, preopenRightsInheriting
			break
		}
		// As Wasmtime: what a directory cannot do, it has no right to.
		base = rightsAll &^ (rightFdSeek | rightFdFilestatSetSize | rightPathFilestatSetSize | rightFdWrite)
		inh = base
	case kindFile:
		fi, err := e.file.Stat()
		if err != nil {
			return errnoOf(err)
		}
		ft = filetypeOfMode(fi.Mode())
		base = rightsAll
		if !e.readable {
			base &^= rightFdRead | rightFdReaddir
		}
		if !e.writable {
			base &^= rightFdWrite
		}
		inh = base
		e.mu.Lock()
		flags = e.syncFlags
		if e.append {
			flags |= fdflagAppend
		}
		if e.nonblock {
			flags |= fdflagNonblock
		}
		e.mu.Unlock()
	}
	b, ok := mem.Read(u32(st[1]), sizeFdstat)
	if !ok {
		return EFAULT
	}
	clear(b)
	b[0] = ft
	b[2], b[3] = byte(flags), byte(flags>>8)
	for i := 0; i < 8; i++ {
		b[8+i] = byte(base >> (8 * i))
		b[16+i] = byte(inh >> (8 * i))
	}
	return ESUCCESS
}

func stdioFiletype(v any) uint8 {
	if isTTY(v) {
		return filetypeCharacterDevice
	}
	return filetypeUnknown
}

func filetypeOfMode(m os.FileMode) uint8 {
	switch {
	case m.IsRegular():
		return filetypeRegularFile
	case m.IsDir():
		return filetypeDirectory
	case m&os.ModeSymlink != 0:
		return filetypeSymbolicLink
	case m&os.ModeDevice != 0 && m&os.ModeCharDevice != 0:
		return filetypeCharacterDevice
	case m&os.ModeDevice != 0:
		return filetypeBlockDevice
	}
	return filetypeUnknown
}

// fdFdstatSetFlags changes APPEND and NONBLOCK of a file, as Wasmtime
// (the sync flags are EINVAL; other descriptors EBADF). APPEND is switched
// on the descriptor's own host file (O_APPEND with fcntl), so appends stay
// atomic against other writers; NONBLOCK is only recorded (files never
// block).
func fdFdstatSetFlags(s *State, _ context.Context, _ api.Memory, st []uint64) Errno {
	e, errno := s.fileOf(u32(st[0]))
	if errno != ESUCCESS {
		return errno
	}
	flags := uint16(st[1])
	if flags&(fdflagDsync|fdflagSync|fdflagRsync) != 0 {
		return EINVAL
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if on := flags&fdflagAppend != 0; on != e.append {
		if err := setAppend(e.file, on); err != nil {
			return errnoOf(err)
		}
		e.append = on
	}
	e.nonblock = flags&fdflagNonblock != 0
	return ESUCCESS
}

// fdFdstatSetRights: rights are not supported (see the package
// documentation), so a file or directory answers ENOTSUP and keeps what it
// can do, as Wasmtime; stdio and closed descriptors are EBADF.
func fdFdstatSetRights(s *State, _ context.Context, _ api.Memory, st []uint64) Errno {
	e, errno := s.get(u32(st[0]))
	if errno != ESUCCESS {
		return errno
	}
	if e.kind != kindFile && e.kind != kindDir {
		return EBADF
	}
	return ENOTSUP
}

func fdFilestatGet(s *State, _ context.Context, mem api.Memory, st []uint64) Errno {
	e, errno := s.get(u32(st[0]))
	if errno != ESUCCESS {
		return errno
	}
	var fs filestat
	switch e.kind {
	case kindStdin, kindStdout, kindStderr:
		fs.filetype = stdioFiletype(e.stdio)
	default:
		var err error
		if fs, err = statFile(e.file); err != nil {
			return errnoOf(err)
		}
	}
	return fs.write(mem, u32(st[1]))
}

func fdFilestatSetSize(s *State, _ context.Context, _ api.Memory, st []uint64) Errno {
	e, errno := s.fileOf(u32(st[0]))
	if errno != ESUCCESS {
		return errno
	}
	if e.readOnly {
		return EPERM
	}
	if int64(st[1]) < 0 {
		return EINVAL
	}
	return errnoOf(e.file.Truncate(int64(st[1])))
}

func fdFilestatSetTimes(s *State, _ context.Context, _ api.Memory, st []uint64) Errno {
	a, m, errno := timesOf(st[1], st[2], uint16(st[3]))
	if errno != ESUCCESS {
		return errno
	}
	e, errno := s.get(u32(st[0]))
	if errno != ESUCCESS {
		return errno
	}
	if e.kind != kindFile && e.kind != kindDir {
		return EBADF
	}
	if e.readOnly {
		return EPERM
	}
	return errnoOf(utimesFile(e.file, a, m))
}

// --- reading and writing ---

func fdRead(s *State, ctx context.Context, mem api.Memory, st []uint64) Errno {
	e, errno := s.get(u32(st[0]))
	if errno != ESUCCESS {
		return errno
	}
	var arr [4][]byte
	iovs, errno := iovecs(mem, u32(st[1]), u32(st[2]), arr[:0])
	if errno != ESUCCESS {
		return errno
	}
	var n int
	switch e.kind {
	case kindStdin:
		// Streaming: one read into the first non-empty buffer, returning
		// what is available.
		for _, b := range iovs {
			if len(b) == 0 {
				continue
			}
			var err error
			if n, err = s.stdin.read(ctx, b); err != nil {
				if ctx.Err() != nil {
					stopGuest(ctx)
				}
				return errnoOf(err)
			}
			break
		}
	case kindFile:
		e.mu.Lock()
		var err error
		n, err = readAt(e.file, iovs, int64(e.pos))
		e.pos += uint64(n)
		e.mu.Unlock()
		if err != nil {
			return errnoOf(err)
		}
	default:
		return EBADF
	}
	if !writeU32(mem, u32(st[3]), uint32(n)) {
		return EFAULT
	}
	return ESUCCESS
}

// readAt fills iovs from f at off, stopping at a short read or end of file.
func readAt(f *os.File, iovs [][]byte, off int64) (int, error) {
	total := 0
	for _, b := range iovs {
		if len(b) == 0 {
			continue
		}
		n, err := f.ReadAt(b, off)
		total += n
		off += int64(n)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			if total > 0 {
				return total, nil
			}
			return 0, err
		}
		if n < len(b) {
			break
		}
	}
	return total, nil
}

func fdPread(s *State, _ context.Context, mem api.Memory, st []uint64) Errno {
	e, errno := s.get(u32(st[0]))
	if errno != ESUCCESS {
		return errno
	}
	switch e.kind {
	case kindFile:
	case kindStdin:
		return ESPIPE
	default:
		return EBADF
	}
	var arr [4][]byte
	iovs, errno := iovecs(mem, u32(st[1]), u32(st[2]), arr[:0])
	if errno != ESUCCESS {
		return errno
	}
	if int64(st[3]) < 0 {
		return EINVAL
	}
	n, err := readAt(e.file, iovs, int64(st[3]))
	if err != nil {
		return errnoOf(err)
	}
	if !writeU32(mem, u32(st[4]), uint32(n)) {
		return EFAULT
	}
	return ESUCCESS
}

func fdWrite(s *State, _ context.Context, mem api.Memory, st []uint64) Errno {
	return write(s, mem, u32(st[0]), u32(st[1]), u32(st[2]), -1, u32(st[3]))
}

func fdPwrite(s *State, _ context.Context, mem api.Memory, st []uint64) Errno {
	if int64(st[3]) < 0 {
		return EINVAL
	}
	return write(s, mem, u32(st[0]), u32(st[1]), u32(st[2]), int64(st[3]), u32(st[4]))
}

// write implements fd_write (at < 0) and fd_pwrite. In append mode both
// append, as on Linux (and Wasmtime): the host file is in O_APPEND mode and
// one write(2) puts the data at the end, atomically against other writers
// of the file; fd_pwrite leaves the position alone, fd_write moves it to
// the end of what it wrote.
func write(s *State, mem api.Memory, fd, iovPtr, iovLen uint32, at int64, resultPtr uint32) Errno {
	e, errno := s.get(fd)
	if errno != ESUCCESS {
		return errno
	}
	var arr [4][]byte
	iovs, errno := iovecs(mem, iovPtr, iovLen, arr[:0])
	if errno != ESUCCESS {
		return errno
	}
	var n int
	switch e.kind {
	case kindStdout, kindStderr:
		if at >= 0 {
			return ESPIPE
		}
		var err error
		n, err = e.writeStream(iovs)
		if err != nil && n == 0 {
			return errnoOf(err)
		}
	case kindFile:
		if !e.writable {
			return EBADF
		}
		e.mu.Lock()
		var err error
		switch {
		case e.append:
			n, err = appendFile(e.file, iovs)
			if at < 0 && n > 0 {
				// The host file's own offset is the end of this write.
				if off, serr := e.file.Seek(0, io.SeekCurrent); serr == nil {
					e.pos = uint64(off)
				}
			}
		case at >= 0:
			n, err = writeAt(e.file, iovs, at)
		default:
			n, err = writeAt(e.file, iovs, int64(e.pos))
			e.pos += uint64(n)
		}
		e.mu.Unlock()
		if err != nil && n == 0 {
			return errnoOf(err)
		}
	default:
		return EBADF
	}
	if !writeU32(mem, resultPtr, uint32(n)) {
		return EFAULT
	}
	return ESUCCESS
}

func writeAt(f *os.File, iovs [][]byte, off int64) (int, error) {
	total := 0
	for _, b := range iovs {
		if len(b) == 0 {
			continue
		}
		n, err := atfile.Pwrite(f, b, off)
		total += n
		off += int64(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// appendFile writes iovs to the end of f (in O_APPEND mode) in one write,
// gathering several non-empty buffers first, so that one fd_write is one
// atomic append.
func appendFile(f *os.File, iovs [][]byte) (int, error) {
	var buf []byte
	count := 0
	for _, b := range iovs {
		if len(b) > 0 {
			buf = b
			count++
		}
	}
	switch count {
	case 0:
		return 0, nil
	case 1:
	default:
		buf = nil
		for _, b := range iovs {
			buf = append(buf, b...)
		}
	}
	return f.Write(buf)
}

// writeStream writes iovs to a stdio stream in one Write (gathering several
// non-empty buffers in a buffer kept for the next call).
func (e *fdEntry) writeStream(iovs [][]byte) (int, error) {
	var single []byte
	count, size := 0, 0
	for _, b := range iovs {
		if len(b) > 0 {
			single = b
			count++
			size += len(b)
		}
	}
	switch count {
	case 0:
		return 0, nil
	case 1:
		return e.w.Write(single)
	}
	// One instance makes one call at a time; the swap only keeps two
	// streams sharing an entry (after fd_renumber) from sharing a buffer.
	p := e.wbuf.Swap(nil)
	if p == nil {
		p = new([]byte)
	}
	buf := (*p)[:0]
	for _, b := range iovs {
		buf = append(buf, b...)
	}
	n, err := e.w.Write(buf)
	if cap(buf) <= 64<<10 {
		*p = buf
		e.wbuf.Store(p)
	}
	return n, err
}

func fdSeek(s *State, _ context.Context, mem api.Memory, st []uint64) Errno {
	e, errno := s.seekableOf(u32(st[0]))
	if errno != ESUCCESS {
		return errno
	}
	off := int64(st[1])
	e.mu.Lock()
	defer e.mu.Unlock()
	var pos int64
	switch u32(st[2]) {
	case 0: // set
		pos = off
	case 1: // cur
		pos = int64(e.pos) + off
		if off > 0 && pos < int64(e.pos) {
			return EINVAL
		}
	case 2: // end
		fi, err := e.file.Stat()
		if err != nil {
			return errnoOf(err)
		}
		pos = fi.Size() + off
	default:
		return EINVAL
	}
	if pos < 0 {
		return EINVAL
	}
	if !writeU64(mem, u32(st[3]), uint64(pos)) {
		return EFAULT
	}
	e.pos = uint64(pos)
	return ESUCCESS
}

func fdTell(s *State, _ context.Context, mem api.Memory, st []uint64) Errno {
	e, errno := s.seekableOf(u32(st[0]))
	if errno != ESUCCESS {
		return errno
	}
	e.mu.Lock()
	pos := e.pos
	e.mu.Unlock()
	if !writeU64(mem, u32(st[1]), pos) {
		return EFAULT
	}
	return ESUCCESS
}

// --- preopens ---

func fdPrestatGet(s *State, _ context.Context, mem api.Memory, st []uint64) Errno {
	e, errno := s.get(u32(st[0]))
	if errno != ESUCCESS {
		return errno
	}
	if !e.isPreopen {
		return EBADF
	}
	b, ok := mem.Read(u32(st[1]), 8)
	if !ok {
		return EFAULT
	}
	clear(b)
	n := uint32(len(e.preopen))
	b[4], b[5], b[6], b[7] = byte(n), byte(n>>8), byte(n>>16), byte(n>>24)
	return ESUCCESS
}

func fdPrestatDirName(s *State, _ context.Context, mem api.Memory, st []uint64) Errno {
	e, errno := s.get(u32(st[0]))
	if errno != ESUCCESS {
		return errno
	}
	if !e.isPreopen {
		return ENOTDIR // as Wasmtime
	}
	if uint32(len(e.preopen)) > u32(st[2]) {
		return ENAMETOOLONG
	}
	if !mem.WriteString(u32(st[1]), e.preopen) {
		return EFAULT
	}
	return ESUCCESS
}

func fdRenumber(s *State, _ context.Context, _ api.Memory, st []uint64) Errno {
	return s.renumber(u32(st[0]), u32(st[1]))
}

// --- directories ---

// fdReaddir lists "." and ".." then the entries (cookies 1, 2, 3...), each
// dirent followed by its name, truncating the last one to fill the buffer,
// as Wasmtime. The listing is read again when cookie is 0.
func fdReaddir(s *State, _ context.Context, mem api.Memory, st []uint64) Errno {
	e, errno := s.dirOf(u32(st[0]))
	if errno != ESUCCESS {
		return errno
	}
	bufPtr, bufLen, cookie := u32(st[1]), u32(st[2]), st[3]
	buf, ok := mem.Read(bufPtr, bufLen)
	if !ok {
		return EFAULT
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if cookie == 0 || e.dirents == nil {
		list, err := readDir(e.file)
		if err != nil {
			return errnoOf(err)
		}
		e.dirents = list
	}
	used := 0
	for i := cookie; i < uint64(len(e.dirents)) && used < len(buf); i++ {
		d := e.dirents[i]
		var hdr [sizeDirent]byte
		next, ino, nl := i+1, d.ino, uint32(len(d.name))
		for j := 0; j < 8; j++ {
			hdr[j] = byte(next >> (8 * j))
			hdr[8+j] = byte(ino >> (8 * j))
		}
		hdr[16], hdr[17], hdr[18], hdr[19] = byte(nl), byte(nl>>8), byte(nl>>16), byte(nl>>24)
		hdr[20] = d.filetype
		used += copy(buf[used:], hdr[:])
		used += copy(buf[used:], d.name)
	}
	if !writeU32(mem, u32(st[4]), uint32(used)) {
		return EFAULT
	}
	return ESUCCESS
}
