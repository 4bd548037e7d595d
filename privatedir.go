package wasmhive

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/wasmhive/wasmhive/engine"
)

// privateDirs is the directory, under a Host's data directory, that holds
// the components' private directories, one per component name.
const privateDirs = "components"

// PrivateDir returns the host directory of component's private directory
// (ComponentConfig.PrivateDir): <data dir>/components/<component>. It may
// not exist yet: it is made when a component that has one is added.
func (h *Host) PrivateDir(component string) (string, error) {
	if !validPrivateName(component) {
		return "", fmt.Errorf("the component name %q cannot name a directory (it must be one path element, not . or ..)", component)
	}
	dataDir, err := h.DataDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dataDir, privateDirs, component), nil
}

// PrivateDirError reports, at load, a private directory that cannot be
// made or used, or a dirs entry that would reach into the private
// directories. It unwraps to the file system's error, if any.
type PrivateDirError struct {
	Component string
	Err       error
}

func (e *PrivateDirError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *PrivateDirError) Unwrap() error { return e.Err }

// preparePrivateDir refuses Dirs that reach into the private directories,
// then, when the component has one, creates its private directory and
// adds it to the preopens.
func (c *Component) preparePrivateDir() error {
	if err := c.privateDir(); err != nil {
		return &PrivateDirError{Component: c.name, Err: err}
	}
	return nil
}

func (c *Component) privateDir() error {
	guest := c.cfg.PrivateDir
	dataDir, derr := c.h.DataDir()
	if derr == nil {
		if err := checkDirsOutsidePrivate(c.cfg.Dirs, filepath.Join(dataDir, privateDirs)); err != nil {
			return err
		}
	}
	if guest == "" {
		return nil
	}
	if err := checkPrivateGuest(guest, c.cfg.Dirs); err != nil {
		return err
	}
	if !validPrivateName(c.name) {
		return fmt.Errorf("private_dir: the component name %q cannot name a directory (it must be one path element, not . or ..)", c.name)
	}
	if derr != nil {
		return fmt.Errorf("private_dir: %w", derr)
	}
	if _, err := c.h.prov.dataDir(); err != nil {
		return fmt.Errorf("private_dir: %w", err)
	}
	base := filepath.Join(dataDir, privateDirs)
	if err := mkdirPrivate(base); err != nil {
		return fmt.Errorf("private_dir: %w", err)
	}
	dir := filepath.Join(base, c.name)
	if err := mkdirPrivate(dir); err != nil {
		return fmt.Errorf("private_dir: %w", err)
	}
	c.preopen = append(c.preopen, engine.Preopen{HostPath: dir, GuestPath: path.Clean(guest), Private: true})
	return nil
}

// checkPrivateGuest checks the guest path of a private directory: absolute,
// not "/", and apart from every guest path of dirs (not the same, not
// inside one, not holding one: the guest could not tell which it reaches).
func checkPrivateGuest(guest string, dirs []Dir) error {
	if !strings.HasPrefix(guest, "/") || strings.IndexByte(guest, 0) >= 0 {
		return fmt.Errorf("private_dir %q: want an absolute guest path, such as /data", guest)
	}
	g := path.Clean(guest)
	if g == "/" {
		return errors.New("private_dir /: that would be the guest's whole file system; give a directory, such as /data")
	}
	for _, d := range dirs {
		dg := d.Guest
		if dg == "" {
			dg = d.Host
		}
		dg = path.Clean(filepath.ToSlash(dg))
		if guestWithin(g, dg) || guestWithin(dg, g) {
			return fmt.Errorf("private_dir %s: the guest path overlaps %s, the guest path of dirs entry %s", g, dg, d.Host)
		}
	}
	return nil
}

// guestWithin reports whether guest path a is b or inside it.
func guestWithin(a, b string) bool {
	return a == b || b == "/" || strings.HasPrefix(a, b+"/")
}

// validPrivateName reports whether a component name is one path element.
func validPrivateName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/\\\x00")
}

// mkdirPrivate makes dir (0700), or checks that the existing one is a
// directory, not a symbolic link, and makes it 0700.
func mkdirPrivate(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	fi, err := os.Lstat(dir)
	switch {
	case err != nil:
		return err
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link; a private directory must be a directory of its own", dir)
	case !fi.IsDir():
		return fmt.Errorf("%s exists and is not a directory", dir)
	case fi.Mode().Perm() != 0o700:
		return os.Chmod(dir, 0o700)
	}
	return nil
}

// checkDirsOutsidePrivate refuses a dirs entry at or under base (the
// private directories): it would reach another component's private
// directory, or this one's without the private directory's rules.
func checkDirsOutsidePrivate(dirs []Dir, base string) error {
	if len(dirs) == 0 {
		return nil
	}
	rb := realPath(base)
	for _, d := range dirs {
		if d.Host == "" {
			continue
		}
		rd := realPath(d.Host)
		if rel, err := filepath.Rel(rb, rd); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return fmt.Errorf("dirs entry %s is inside %s, where the components' private directories are; use private_dir", d.Host, base)
		}
	}
	return nil
}

// realPath is p absolute with its symbolic links resolved, as far as the
// path exists.
func realPath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	rest := ""
	for cur := abs; ; {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(r, rest)
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return abs
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}
