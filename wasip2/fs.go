package wasip2

import (
	"encoding/binary"
	"errors"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/wasmhive/wasmhive/internal/atfile"
)

// DescriptorFlags is wasi:filesystem descriptor-flags (bit i is label i).
type DescriptorFlags uint32

// The descriptor flags.
const (
	FlagRead DescriptorFlags = 1 << iota
	FlagWrite
	FlagFileIntegritySync
	FlagDataIntegritySync
	FlagRequestedWriteSync
	FlagMutateDirectory
)

// OpenFlags is wasi:filesystem open-flags.
type OpenFlags uint32

// The open flags.
const (
	OpenCreate OpenFlags = 1 << iota
	OpenDirectory
	OpenExclusive
	OpenTruncate
)

// PathFlags is wasi:filesystem path-flags.
type PathFlags uint32

// SymlinkFollow is the one path flag: follow a final symbolic link.
const SymlinkFollow PathFlags = 1

// DescriptorType is wasi:filesystem descriptor-type (the label index).
type DescriptorType uint32

// The descriptor types.
const (
	TypeUnknown DescriptorType = iota
	TypeBlockDevice
	TypeCharacterDevice
	TypeDirectory
	TypeFIFO
	TypeSymbolicLink
	TypeRegularFile
	TypeSocket
)

// descriptor is a wasi:filesystem descriptor: an open file or directory.
// The streams made from it share its host file, which closes when the
// descriptor and its last stream are dropped.
type descriptor struct {
	file     *os.File
	root     *os.Root // directories: every path is resolved inside it
	flags    DescriptorFlags
	readOnly bool // under a read-only preopen
	private  bool // under a private preopen (see engine.Preopen.Private)

	mu   sync.Mutex
	refs int
}

func newDescriptor(f *os.File, root *os.Root, flags DescriptorFlags, readOnly, private bool) *descriptor {
	return &descriptor{file: f, root: root, flags: flags, readOnly: readOnly, private: private, refs: 1}
}

func (d *descriptor) isDir() bool { return d.root != nil }

func (d *descriptor) retain() {
	d.mu.Lock()
	d.refs++
	d.mu.Unlock()
}

// release drops one reference, closing the host file after the last.
func (d *descriptor) release() error {
	d.mu.Lock()
	d.refs--
	last := d.refs == 0
	d.mu.Unlock()
	if !last {
		return nil
	}
	err := d.file.Close()
	if d.root != nil {
		if rerr := d.root.Close(); err == nil {
			err = rerr
		}
	}
	return err
}

// DescriptorStat is wasi:filesystem descriptor-stat (times in nanoseconds
// since the epoch; nil when unknown).
type DescriptorStat struct {
	Type      DescriptorType
	LinkCount uint64
	Size      uint64
	Atime     *time.Time
	Mtime     *time.Time
	Ctime     *time.Time
}

// NewTimestamp is wasi:filesystem new-timestamp.
type NewTimestamp struct {
	Now      bool      // set the time to now
	Time     time.Time // set it to this time, when not zero and not Now
	NoChange bool      // leave it alone
}

// getDirectories returns a new descriptor of each preopen with its guest
// path.
func (s *State) getDirectories() ([]uint32, []string, error) {
	s.mu.Lock()
	pre := s.preopens
	s.mu.Unlock()
	var reps []uint32
	var names []string
	for _, p := range pre {
		root, err := p.root.OpenRoot(".")
		if err != nil {
			return nil, nil, err
		}
		f, err := root.Open(".")
		if err != nil {
			root.Close()
			return nil, nil, err
		}
		flags := FlagRead
		if !p.readOnly {
			flags |= FlagMutateDirectory
		}
		d := newDescriptor(f, root, flags, p.readOnly, p.private)
		rep, err := s.push(d)
		if err != nil {
			d.release()
			return nil, nil, err
		}
		reps = append(reps, rep)
		names = append(names, p.guestPath)
	}
	return reps, names, nil
}

// descriptor returns descriptor rep, or bad-descriptor.
func (s *State) descriptor(rep uint32) (*descriptor, error) {
	d, ok := lookup[*descriptor](s, rep)
	if !ok {
		return nil, ErrBadDescriptor
	}
	return d, nil
}

// fileDesc returns descriptor rep when it is a file (bad-descriptor for a
// directory, as Wasmtime).
func (s *State) fileDesc(rep uint32) (*descriptor, error) {
	d, err := s.descriptor(rep)
	if err != nil {
		return nil, err
	}
	if d.isDir() {
		return nil, ErrBadDescriptor
	}
	return d, nil
}

// dirDesc returns descriptor rep when it is a directory (not-directory for
// a file, as Wasmtime).
func (s *State) dirDesc(rep uint32) (*descriptor, error) {
	d, err := s.descriptor(rep)
	if err != nil {
		return nil, err
	}
	if !d.isDir() {
		return nil, ErrNotDirectory
	}
	return d, nil
}

// mutableDir is dirDesc for a call that changes the directory: without
// mutate-directory (a read-only preopen, or a directory opened without
// it) it is read-only, as the specification says of mutate-directory.
func (s *State) mutableDir(rep uint32) (*descriptor, error) {
	d, err := s.dirDesc(rep)
	if err != nil {
		return nil, err
	}
	if !d.mutable() {
		return nil, ErrReadOnly
	}
	return d, nil
}

// mutable reports whether the directory may be changed through d.
func (d *descriptor) mutable() bool { return d.flags&FlagMutateDirectory != 0 && !d.readOnly }

// readViaStream returns an input-stream reading the file from offset.
func (s *State) readViaStream(rep uint32, offset uint64) (uint32, error) {
	d, err := s.fileDesc(rep)
	if err != nil {
		return 0, err
	}
	if d.flags&FlagRead == 0 {
		return 0, ErrBadDescriptor
	}
	d.retain()
	r, err := s.push(&inputStream{file: d, off: offset})
	if err != nil {
		d.release()
	}
	return r, err
}

// writeViaStream returns an output-stream writing the file from offset,
// or (appending) at its end.
func (s *State) writeViaStream(rep uint32, offset uint64, appending bool) (uint32, error) {
	d, err := s.fileDesc(rep)
	if err != nil {
		return 0, err
	}
	if d.flags&FlagWrite == 0 {
		return 0, ErrBadDescriptor
	}
	d.retain()
	r, err := s.push(&outputStream{file: d, off: offset, append: appending})
	if err != nil {
		d.release()
	}
	return r, err
}

// advise checks its arguments: advice is only a hint.
func (s *State) advise(rep uint32, advice uint32) error {
	if _, err := s.fileDesc(rep); err != nil {
		return err
	}
	if advice > 5 {
		return ErrInvalid
	}
	return nil
}

// sync flushes a file's data and metadata (sync-data does the same).
func (s *State) sync(rep uint32) error {
	d, err := s.descriptor(rep)
	if err != nil {
		return err
	}
	if err := d.file.Sync(); err != nil {
		if d.isDir() && errors.Is(err, os.ErrInvalid) {
			return nil
		}
		return codeOf(err)
	}
	return nil
}

func (s *State) getFlags(rep uint32) (DescriptorFlags, error) {
	d, err := s.descriptor(rep)
	if err != nil {
		return 0, err
	}
	return d.flags, nil
}

func (s *State) getType(rep uint32) (DescriptorType, error) {
	d, err := s.descriptor(rep)
	if err != nil {
		return 0, err
	}
	fi, err := d.file.Stat()
	if err != nil {
		return 0, codeOf(err)
	}
	return typeOf(fi.Mode()), nil
}

func (s *State) setSize(rep uint32, size uint64) error {
	d, err := s.fileDesc(rep)
	if err != nil {
		return err
	}
	if d.flags&FlagWrite == 0 {
		return ErrBadDescriptor
	}
	if size > 1<<63-1 {
		return ErrFileTooLarge
	}
	if err := d.file.Truncate(int64(size)); err != nil {
		return codeOf(err)
	}
	return nil
}

// setTimes sets the times of the descriptor's file or directory.
func (s *State) setTimes(rep uint32, atime, mtime NewTimestamp) error {
	d, err := s.descriptor(rep)
	if err != nil {
		return err
	}
	switch {
	case d.readOnly || d.isDir() && !d.mutable():
		return ErrReadOnly
	case !d.isDir() && d.flags&FlagWrite == 0:
		return ErrNotPermitted // as Wasmtime
	}
	if err := utimesFile(d.file, atime, mtime); err != nil {
		return codeOf(err)
	}
	return nil
}

// read reads up to n bytes at offset; end reports the end of the file.
func (s *State) read(rep uint32, n, offset uint64) ([]byte, bool, error) {
	d, err := s.fileDesc(rep)
	if err != nil {
		return nil, false, err
	}
	if d.flags&FlagRead == 0 {
		return nil, false, ErrBadDescriptor
	}
	if offset > 1<<63-1 {
		return []byte{}, true, nil
	}
	buf := make([]byte, min(n, maxChunk))
	k, err := d.file.ReadAt(buf, int64(offset))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, false, codeOf(err)
	}
	end := err != nil || (k == 0 && n > 0)
	return buf[:k], end, nil
}

// write writes b at offset and returns how many bytes it wrote.
func (s *State) write(rep uint32, b []byte, offset uint64) (uint64, error) {
	d, err := s.fileDesc(rep)
	if err != nil {
		return 0, err
	}
	if d.flags&FlagWrite == 0 {
		return 0, ErrBadDescriptor
	}
	if offset > 1<<63-1 {
		return 0, ErrFileTooLarge
	}
	n, err := atfile.Pwrite(d.file, b, int64(offset))
	if err != nil && n == 0 {
		return 0, codeOf(err)
	}
	return uint64(n), nil
}

// directoryEntry is wasi:filesystem directory-entry.
type directoryEntry struct {
	typ  DescriptorType
	name string
}

// dirStream is a directory-entry-stream: the entries listed when
// read-directory was called ("." and ".." left out).
type dirStream struct {
	mu      sync.Mutex
	entries []directoryEntry
}

func (s *State) readDirectory(rep uint32) (uint32, error) {
	d, err := s.dirDesc(rep)
	if err != nil {
		return 0, err
	}
	if d.flags&FlagRead == 0 {
		return 0, ErrNotPermitted // as Wasmtime
	}
	f, err := d.root.Open(".")
	if err != nil {
		return 0, codeOf(err)
	}
	defer f.Close()
	list, err := f.ReadDir(-1)
	if err != nil {
		return 0, codeOf(err)
	}
	entries := make([]directoryEntry, 0, len(list))
	for _, e := range list {
		typ := typeOf(e.Type()) // the entry's own type: a link is a link
		entries = append(entries, directoryEntry{typ: typ, name: e.Name()})
	}
	return s.push(&dirStream{entries: entries})
}

// readDirectoryEntry returns the next entry, ok false at the end.
func (s *State) readDirectoryEntry(rep uint32) (directoryEntry, bool, error) {
	ds, ok := lookup[*dirStream](s, rep)
	if !ok {
		return directoryEntry{}, false, errNoResource("directory-entry-stream", rep)
	}
	ds.mu.Lock()
	defer ds.mu.Unlock()
	if len(ds.entries) == 0 {
		return directoryEntry{}, false, nil
	}
	e := ds.entries[0]
	ds.entries = ds.entries[1:]
	return e, true, nil
}

func (s *State) stat(rep uint32) (DescriptorStat, error) {
	d, err := s.descriptor(rep)
	if err != nil {
		return DescriptorStat{}, err
	}
	fi, err := d.file.Stat()
	if err != nil {
		return DescriptorStat{}, codeOf(err)
	}
	return statOf(fi), nil
}

func (s *State) statAt(rep uint32, pf PathFlags, p string) (DescriptorStat, error) {
	fi, err := s.lstatAt(rep, pf, p)
	if err != nil {
		return DescriptorStat{}, err
	}
	return statOf(fi), nil
}

// lstatAt stats path p of directory rep, following a final symbolic link
// when pf says so.
func (s *State) lstatAt(rep uint32, pf PathFlags, p string) (os.FileInfo, error) {
	d, err := s.dirDesc(rep)
	if err != nil {
		return nil, err
	}
	if err := checkPath(p); err != nil {
		return nil, err
	}
	var fi os.FileInfo
	if pf&SymlinkFollow != 0 {
		fi, err = d.root.Stat(p)
	} else {
		fi, err = d.root.Lstat(p)
	}
	if err != nil {
		return nil, codeOf(err)
	}
	return fi, nil
}

// setTimesAt sets the times of path p (of a final symbolic link itself
// unless pf follows it).
func (s *State) setTimesAt(rep uint32, pf PathFlags, p string, atime, mtime NewTimestamp) error {
	d, err := s.mutableDir(rep)
	if err != nil {
		return err
	}
	if err := checkPath(p); err != nil {
		return err
	}
	follow := pf&SymlinkFollow != 0
	if d.private {
		if err := d.checkLinks(p, follow); err != nil {
			return err
		}
	}
	if follow {
		// os.Root resolves the whole path, link included, inside the root.
		return codeOrNil(d.root.Chtimes(p, goTime(atime), goTime(mtime)))
	}
	dir, base, special, done, err := d.openParent(p)
	if err != nil {
		return err
	}
	defer done()
	if special { // "." and ".." are directories, never links
		return codeOrNil(d.root.Chtimes(p, goTime(atime), goTime(mtime)))
	}
	return codeOrNil(utimesAt(dir, base, atime, mtime))
}

// goTime is a timestamp for os.Root.Chtimes (the zero time leaves it).
func goTime(t NewTimestamp) time.Time {
	switch {
	case t.NoChange:
		return time.Time{}
	case t.Now:
		return time.Now()
	}
	return t.Time
}

func codeOrNil(err error) error {
	if err == nil {
		return nil
	}
	return codeOf(err)
}

// linkAt makes a hard link new (in directory newRep) to old. As wasip1 and
// Wasmtime: following a symbolic link source is invalid; a read-only or
// private directory on either side is not-permitted.
func (s *State) linkAt(rep uint32, pf PathFlags, oldPath string, newRep uint32, newPath string) error {
	od, err := s.mutableDir(rep)
	if err != nil {
		return err
	}
	nd, err := s.mutableDir(newRep)
	if err != nil {
		return err
	}
	if pf&SymlinkFollow != 0 {
		return ErrInvalid
	}
	if od.private || nd.private {
		return ErrNotPermitted
	}
	odir, obase, ospecial, odone, err := od.openParent(oldPath)
	if err != nil {
		return err
	}
	defer odone()
	ndir, nbase, nspecial, ndone, err := nd.openParent(newPath)
	if err != nil {
		return err
	}
	defer ndone()
	switch {
	case nspecial:
		return ErrExist
	case ospecial:
		return ErrNotPermitted
	}
	return codeOrNil(atfile.Link(odir, obase, ndir, nbase))
}

// openAt opens path p of directory rep.
func (s *State) openAt(rep uint32, pf PathFlags, p string, of OpenFlags, df DescriptorFlags) (uint32, error) {
	d, err := s.dirDesc(rep)
	if err != nil {
		return 0, err
	}
	if err := checkPath(p); err != nil {
		return 0, err
	}
	if of&^(OpenCreate|OpenDirectory|OpenExclusive|OpenTruncate) != 0 || df&^(FlagRead|FlagWrite|FlagFileIntegritySync|FlagDataIntegritySync|FlagRequestedWriteSync|FlagMutateDirectory) != 0 {
		return 0, ErrInvalid
	}
	creat, excl, trunc, directory := of&OpenCreate != 0, of&OpenExclusive != 0, of&OpenTruncate != 0, of&OpenDirectory != 0
	write := df&FlagWrite != 0
	// The specification: write, mutate-directory, create or truncate
	// through a descriptor without mutate-directory is read-only.
	if !d.mutable() && (write || creat || trunc || df&FlagMutateDirectory != 0) {
		return 0, ErrReadOnly
	}
	if directory && (creat || excl || trunc) {
		return 0, ErrInvalid
	}
	if directory && write {
		return 0, ErrIsDirectory
	}
	flag := os.O_RDONLY
	if write {
		flag = os.O_RDWR
		if df&FlagRead == 0 {
			flag = os.O_WRONLY
		}
	}
	if creat {
		flag |= os.O_CREATE
		if excl {
			flag |= os.O_EXCL
		}
	}
	if trunc && !d.private {
		flag |= os.O_TRUNC
	}
	if trunc && !write {
		// Truncating needs a writable host file: open read-write, report
		// only what was asked.
		flag = flag&^(os.O_RDONLY|os.O_WRONLY) | os.O_RDWR
	}
	flag |= syncFlags(df)
	if pf&SymlinkFollow == 0 && !strings.HasSuffix(p, "/") {
		if fi, err := d.root.Lstat(p); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			if creat && excl {
				return 0, ErrExist
			}
			return 0, ErrLoop
		}
	}
	f, err := d.root.OpenFile(p, flag, 0o666)
	if err != nil {
		return 0, codeOf(err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return 0, codeOf(err)
	}
	if !fi.IsDir() && directory {
		f.Close()
		return 0, ErrNotDirectory
	}
	if d.private && !fi.IsDir() {
		if fi.Mode().IsRegular() && linkCount(fi) > 1 {
			f.Close()
			return 0, ErrNotPermitted
		}
		if trunc {
			if err := f.Truncate(0); err != nil {
				f.Close()
				return 0, codeOf(err)
			}
		}
	}
	var nd *descriptor
	if fi.IsDir() {
		if write {
			f.Close()
			return 0, ErrIsDirectory
		}
		sub, err := d.root.OpenRoot(p)
		if err != nil {
			f.Close()
			return 0, codeOf(err)
		}
		flags := df
		if d.readOnly {
			flags &^= FlagMutateDirectory
		}
		nd = newDescriptor(f, sub, flags, d.readOnly, d.private)
	} else {
		nd = newDescriptor(f, nil, df&^FlagMutateDirectory, d.readOnly, d.private)
	}
	r, err := s.push(nd)
	if err != nil {
		nd.release()
		return 0, err
	}
	return r, nil
}

// readlinkAt reads symbolic link p.
func (s *State) readlinkAt(rep uint32, p string) (string, error) {
	d, err := s.dirDesc(rep)
	if err != nil {
		return "", err
	}
	dir, base, special, done, err := d.openParent(p)
	if err != nil {
		return "", err
	}
	defer done()
	if special {
		return "", ErrInvalid
	}
	t, err := atfile.Readlink(dir, base)
	if err != nil {
		return "", codeOf(err)
	}
	// The specification: an absolute target is not-permitted (it could
	// only name something outside the sandbox).
	if strings.HasPrefix(t, "/") {
		return "", ErrNotPermitted
	}
	return t, nil
}

func (s *State) createDirectoryAt(rep uint32, p string) error {
	d, err := s.mutableDir(rep)
	if err != nil {
		return err
	}
	dir, base, special, done, err := d.openParent(p)
	if err != nil {
		return err
	}
	defer done()
	if special {
		return ErrExist
	}
	return codeOrNil(atfile.Mkdir(dir, base))
}

func (s *State) removeDirectoryAt(rep uint32, p string) error {
	d, err := s.mutableDir(rep)
	if err != nil {
		return err
	}
	dir, base, special, done, err := d.openParent(p)
	if err != nil {
		return err
	}
	defer done()
	if special {
		if strings.TrimRight(base, "/") == "." {
			return ErrInvalid
		}
		return ErrNotEmpty
	}
	return codeOrNil(atfile.Rmdir(dir, base))
}

func (s *State) unlinkFileAt(rep uint32, p string) error {
	d, err := s.mutableDir(rep)
	if err != nil {
		return err
	}
	dir, base, special, done, err := d.openParent(p)
	if err != nil {
		return err
	}
	defer done()
	if special {
		return ErrIsDirectory
	}
	return codeOrNil(atfile.Unlink(dir, base))
}

// renameAt renames old (in rep) to new (in newRep). Nothing leaves a
// private directory for another (not-permitted), as in wasip1.
func (s *State) renameAt(rep uint32, oldPath string, newRep uint32, newPath string) error {
	od, err := s.mutableDir(rep)
	if err != nil {
		return err
	}
	nd, err := s.mutableDir(newRep)
	if err != nil {
		return err
	}
	if od.private && !nd.private {
		return ErrNotPermitted
	}
	odir, obase, ospecial, odone, err := od.openParent(oldPath)
	if err != nil {
		return err
	}
	defer odone()
	ndir, nbase, nspecial, ndone, err := nd.openParent(newPath)
	if err != nil {
		return err
	}
	defer ndone()
	if ospecial || nspecial {
		return ErrBusy
	}
	return codeOrNil(atfile.Rename(odir, obase, ndir, nbase))
}

// symlinkAt makes symbolic link newPath pointing to target. As wasip1:
// absolute targets are not-permitted, and so are targets with ".." in a
// private directory.
func (s *State) symlinkAt(rep uint32, target, newPath string) error {
	d, err := s.mutableDir(rep)
	if err != nil {
		return err
	}
	switch {
	case target == "":
		return ErrNoEntry
	case target[0] == '/':
		return ErrNotPermitted
	case strings.IndexByte(target, 0) >= 0:
		return ErrInvalid
	case d.private && hasDotDot(target):
		return ErrNotPermitted
	}
	dir, base, special, done, err := d.openParent(newPath)
	if err != nil {
		return err
	}
	defer done()
	if special {
		return ErrExist
	}
	return codeOrNil(atfile.Symlink(target, dir, base))
}

// isSameObject reports whether two descriptors are the same file.
func (s *State) isSameObject(a, b uint32) (bool, error) {
	da, err := s.descriptor(a)
	if err != nil {
		return false, errNoResource("descriptor", a)
	}
	db, err := s.descriptor(b)
	if err != nil {
		return false, errNoResource("descriptor", b)
	}
	fa, err := da.file.Stat()
	if err != nil {
		return false, nil
	}
	fb, err := db.file.Stat()
	if err != nil {
		return false, nil
	}
	return os.SameFile(fa, fb), nil
}

// metadataHash hashes a file's identity and change times: equal while the
// file is neither modified nor replaced, different (very likely) for
// different files.
func (s *State) metadataHash(rep uint32) ([2]uint64, error) {
	d, err := s.descriptor(rep)
	if err != nil {
		return [2]uint64{}, err
	}
	fi, err := d.file.Stat()
	if err != nil {
		return [2]uint64{}, codeOf(err)
	}
	return hashOf(fi), nil
}

func (s *State) metadataHashAt(rep uint32, pf PathFlags, p string) ([2]uint64, error) {
	fi, err := s.lstatAt(rep, pf, p)
	if err != nil {
		return [2]uint64{}, err
	}
	return hashOf(fi), nil
}

func hashOf(fi os.FileInfo) [2]uint64 {
	dev, ino := fileID(fi)
	st := statOf(fi)
	h := fnv.New128a()
	var b [8]byte
	for _, v := range []uint64{dev, ino, st.Size, uint64(fi.ModTime().UnixNano()), ctimeNs(st)} {
		binary.LittleEndian.PutUint64(b[:], v)
		h.Write(b[:])
	}
	sum := h.Sum(nil)
	return [2]uint64{binary.LittleEndian.Uint64(sum[:8]), binary.LittleEndian.Uint64(sum[8:])}
}

func ctimeNs(st DescriptorStat) uint64 {
	if st.Ctime == nil {
		return 0
	}
	return uint64(st.Ctime.UnixNano())
}

func typeOf(m fs.FileMode) DescriptorType {
	switch {
	case m.IsRegular():
		return TypeRegularFile
	case m.IsDir():
		return TypeDirectory
	case m&fs.ModeSymlink != 0:
		return TypeSymbolicLink
	case m&fs.ModeNamedPipe != 0:
		return TypeFIFO
	case m&fs.ModeSocket != 0:
		return TypeSocket
	case m&fs.ModeDevice != 0 && m&fs.ModeCharDevice != 0:
		return TypeCharacterDevice
	case m&fs.ModeDevice != 0:
		return TypeBlockDevice
	}
	return TypeUnknown
}

// checkPath rejects paths no descriptor resolves: empty (no-entry),
// absolute (not-permitted: paths are relative to a descriptor), NUL bytes
// (invalid).
func checkPath(p string) error {
	switch {
	case p == "":
		return ErrNoEntry
	case p[0] == '/':
		return ErrNotPermitted
	case strings.IndexByte(p, 0) >= 0:
		return ErrInvalid
	}
	return nil
}

// openParent opens the directory holding the last component of p, resolved
// inside d's root (never out of it). The caller defers done.
func (d *descriptor) openParent(p string) (dir *os.File, base string, special bool, done func(), err error) {
	if err := checkPath(p); err != nil {
		return nil, "", false, nil, err
	}
	parent, base, special := atfile.Split(p)
	if parent == "." {
		return d.file, base, special, func() {}, nil
	}
	f, err := d.root.Open(parent)
	if err != nil {
		return nil, "", false, nil, codeOf(err)
	}
	return f, base, special, func() { f.Close() }, nil
}

// checkLinks refuses, in a private directory, a regular file with more
// than one link (not-permitted): it may be a host-made hard link to a file
// outside.
func (d *descriptor) checkLinks(p string, follow bool) error {
	var fi os.FileInfo
	var err error
	if follow {
		fi, err = d.root.Stat(p)
	} else {
		fi, err = d.root.Lstat(p)
	}
	if err != nil {
		return codeOf(err)
	}
	if fi.Mode().IsRegular() && linkCount(fi) > 1 {
		return ErrNotPermitted
	}
	return nil
}

func hasDotDot(p string) bool {
	for _, c := range strings.Split(p, "/") {
		if c == ".." {
			return true
		}
	}
	return false
}
