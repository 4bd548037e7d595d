//go:build !linux && !darwin

package wasip2

import "os"

// Platforms other than Linux and macOS get the directory-relative
// operations os.Root cannot express as unsupported.

func utimesAt(*os.File, string, NewTimestamp, NewTimestamp) error { return ErrUnsupported }
func utimesFile(*os.File, NewTimestamp, NewTimestamp) error       { return ErrUnsupported }
func syncFlags(DescriptorFlags) int                               { return 0 }
func fileID(os.FileInfo) (dev, ino uint64)                        { return 0, 0 }
func linkCount(os.FileInfo) uint64                                { return 1 }

func appendFile(f *os.File, b []byte) (int, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return f.WriteAt(b, fi.Size())
}

func statOf(fi os.FileInfo) DescriptorStat {
	mt := fi.ModTime()
	return DescriptorStat{Type: typeOf(fi.Mode()), LinkCount: 1, Size: uint64(max(fi.Size(), 0)), Mtime: &mt}
}
