package results

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// WriteFileAtomic writes data to path so that a reader sees the old
// content or the whole new one, never a part: into a temporary file beside
// the path's target, synced, renamed over it, and the directory synced.
// A symbolic link is written through to its target, never replaced. What
// is not a regular file (a device such as /dev/stdout, a FIFO) is written
// directly, never replaced by a regular file.
func WriteFileAtomic(path string, data []byte) error {
	target, err := resolveLinks(path)
	if err != nil {
		return err
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

// writeDirect writes data to a path that is not a regular file.
func writeDirect(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
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
// target is where the file will be made).
func resolveLinks(path string) (string, error) {
	for range 40 {
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
