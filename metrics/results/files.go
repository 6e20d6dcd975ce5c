package results

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// WriteFileAtomic writes data to path so that a reader sees the old
// content or the whole new one, never a part: into a temporary file beside
// the path's target, synced, renamed over it, and the directory synced.
// A symbolic link is written through to its target, never replaced. A
// path into /dev or /proc (/dev/stdout, /dev/fd/3, /proc/self/fd/1) and
// whatever is not a regular file (a device, a FIFO) are written directly,
// appending: such a path stands for a file the process already has open
// (a shell's redirection, whose earlier content is the summary), and
// renaming a file over what its link points to would lose both.
func WriteFileAtomic(path string, data []byte) error {
	if fd, ok := ownDescriptor(path); ok {
		return writeFD(fd, data)
	}
	if special(path) {
		return writeDirect(path, data)
	}
	target, err := resolveLinks(path)
	if err != nil {
		return err
	}
	if special(target) {
		return writeDirect(path, data)
	}
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(target); err == nil {
		switch {
		case fi.IsDir():
			return fmt.Errorf("%s is a directory", path)
		case !fi.Mode().IsRegular():
			return writeDirect(target, data)
		}
		mode = fi.Mode().Perm()
	}
	dir := filepath.Dir(target)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".*.tmp")
	if err != nil {
		return err
	}
	werr := writeSync(tmp, data)
	if werr == nil {
		werr = os.Chmod(tmp.Name(), mode)
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), target)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return werr
	}
	return syncDir(dir)
}

// ownDescriptor says whether path names one of the process's own open
// files (/dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N), and which.
// Written through that descriptor, the output keeps its place among the
// process's other writes to it (the summary before it, the lines after);
// a new open of the same file would write over them.
func ownDescriptor(path string) (int, bool) {
	switch path {
	case "/dev/stdout":
		return 1, true
	case "/dev/stderr":
		return 2, true
	}
	for _, dir := range []string{"/dev/fd/", "/proc/self/fd/", fmt.Sprintf("/proc/%d/fd/", os.Getpid())} {
		if rest, ok := strings.CutPrefix(path, dir); ok {
			fd, err := strconv.Atoi(rest)
			return fd, err == nil && fd >= 0
		}
	}
	return 0, false
}

// writeFD writes data to descriptor fd, which stays open.
func writeFD(fd int, data []byte) error {
	for len(data) > 0 {
		n, err := syscall.Write(fd, data)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// special says whether path is in /dev or /proc: a device, or a file
// descriptor of the process (/dev/stdout, /proc/self/fd/1).
func special(path string) bool {
	abs, err := filepath.Abs(path)
	if err != nil {
		return false
	}
	return strings.HasPrefix(abs, "/dev/") || strings.HasPrefix(abs, "/proc/")
}

func writeSync(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeDirect writes data to a path that is not a regular file, or that
// stands for a file the process has open, appending to what it holds.
func writeDirect(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// resolveLinks follows path's symbolic links, a dangling one included (its
// target is where the file will be made), stopping at a path into /dev
// or /proc.
func resolveLinks(path string) (string, error) {
	for range 40 {
		if special(path) {
			return path, nil
		}
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			return path, nil
		}
		to, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(to) {
			to = filepath.Join(filepath.Dir(path), to)
		}
		path = to
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", path)
}

// CheckWritable says whether an output can be written at path, before a
// run spends its time: an existing file that can be opened for writing
// (nothing is changed), or a new one in a directory where files can be
// made. dir says path names a directory of outputs (--hgrm).
func CheckWritable(path string, dir bool) error {
	if fd, ok := ownDescriptor(path); ok && !dir {
		var st syscall.Stat_t
		if err := syscall.Fstat(fd, &st); err != nil {
			return fmt.Errorf("cannot write to %s: %v", path, err)
		}
		return nil
	}
	target, err := resolveLinks(path)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(target); err == nil {
		switch {
		case dir && !fi.IsDir():
			return fmt.Errorf("%s exists and is not a directory", path)
		case dir:
			return canCreateIn(target)
		case fi.IsDir():
			return fmt.Errorf("%s is a directory", path)
		case special(target) || !fi.Mode().IsRegular():
			// Not opened: opening a FIFO would block, or hand its reader
			// an end of file before the run has written anything.
			if err := syscall.Access(target, 2); err != nil { // W_OK
				return fmt.Errorf("cannot write to %s: %v", path, err)
			}
			return nil
		}
		f, err := os.OpenFile(target, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		return f.Close()
	}
	parent := filepath.Dir(target)
	fi, err := os.Stat(parent)
	if err != nil {
		return fmt.Errorf("cannot create %s: %v", path, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("cannot create %s: %s is not a directory", path, parent)
	}
	return canCreateIn(parent)
}

// canCreateIn tries to make a file in dir, and removes it.
func canCreateIn(dir string) error {
	f, err := os.CreateTemp(dir, ".cohort-check-*")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %v", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}
