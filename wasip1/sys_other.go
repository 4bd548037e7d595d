//go:build !linux && !darwin

package wasip1

import "os"

// Platforms other than Linux and macOS get the directory-relative
// operations os.Root cannot express as ENOSYS.

func utimesAt(*os.File, string, setTime, setTime) error { return ENOSYS }
func utimesFile(*os.File, setTime, setTime) error       { return ENOSYS }

func readDir(f *os.File) ([]dirent, error) {
	if _, err := f.Seek(0, 0); err != nil {
		return nil, err
	}
	entries, err := f.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	list := []dirent{{name: ".", filetype: filetypeDirectory}, {name: "..", filetype: filetypeDirectory}}
	for _, e := range entries {
		list = append(list, dirent{name: e.Name(), filetype: filetypeOfMode(e.Type())})
	}
	return list, nil
}

func statFile(f *os.File) (filestat, error) {
	fi, err := f.Stat()
	if err != nil {
		return filestat{}, err
	}
	return statOf(fi), nil
}

func statOf(fi os.FileInfo) filestat {
	return filestat{filetype: filetypeOfMode(fi.Mode()), nlink: 1, size: uint64(fi.Size()), mtim: uint64(fi.ModTime().UnixNano())}
}

// Append mode is set when a file is opened; it cannot be switched later.
func setAppend(*os.File, bool) error { return ENOTSUP }

// The sync fdflags are not supported here (ENOTSUP).
func syncOpenFlags(uint16) (int, Errno) { return 0, ENOTSUP }
