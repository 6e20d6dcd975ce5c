package results

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestWriteFileAtomicKeepsWhatThePathIs(t *testing.T) {
	dir := t.TempDir()
	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	isLink := func(p string) bool {
		fi, err := os.Lstat(p)
		return err == nil && fi.Mode()&os.ModeSymlink != 0
	}

	t.Run("symlink to a file", func(t *testing.T) {
		real := filepath.Join(dir, "real.json")
		os.WriteFile(real, []byte("old"), 0o600)
		link := filepath.Join(dir, "link.json")
		os.Symlink("real.json", link)
		if err := WriteFileAtomic(link, []byte("new")); err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Stat(real)
		if !isLink(link) || read(real) != "new" || fi.Mode().Perm() != 0o600 {
			t.Fatalf("link kept %v, target %q, mode %v: want the link kept and its target (0600) rewritten", isLink(link), read(real), fi.Mode().Perm())
		}
	})
	t.Run("dangling symlink", func(t *testing.T) {
		link := filepath.Join(dir, "dangling.json")
		os.Symlink("made.json", link)
		if err := WriteFileAtomic(link, []byte("x")); err != nil {
			t.Fatal(err)
		}
		if !isLink(link) || read(filepath.Join(dir, "made.json")) != "x" {
			t.Fatal("a dangling link must be kept and its target made")
		}
	})
	t.Run("FIFO", func(t *testing.T) {
		fifo := filepath.Join(dir, "fifo")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Skip("no FIFOs here:", err)
		}
		got := make(chan string)
		go func() {
			f, err := os.Open(fifo)
			if err != nil {
				got <- err.Error()
				return
			}
			b, _ := io.ReadAll(f)
			f.Close()
			got <- string(b)
		}()
		if err := WriteFileAtomic(fifo, []byte("through the pipe")); err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Lstat(fifo)
		if s := <-got; s != "through the pipe" || fi.Mode()&os.ModeNamedPipe == 0 {
			t.Fatalf("the reader got %q, the path is now %v: want the data through the FIFO, the FIFO kept", s, fi.Mode())
		}
	})
	t.Run("directory", func(t *testing.T) {
		if err := WriteFileAtomic(dir, []byte("x")); err == nil || !strings.Contains(err.Error(), "is a directory") {
			t.Fatalf("writing over a directory: %v", err)
		}
	})
	if tmp, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(tmp) != 0 {
		t.Fatalf("temporary files left: %v", tmp)
	}
}

func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f.json")
	os.WriteFile(file, []byte("keep"), 0o644)
	cases := []struct {
		path string
		dir  bool
		ok   bool
	}{
		{filepath.Join(dir, "new.json"), false, true},
		{file, false, true},
		{"/dev/null", false, true},
		{filepath.Join(dir, "missing", "r.json"), false, false},
		{filepath.Join(file, "r.json"), false, false}, // under a file
		{dir, false, false},                           // a directory for a file
		{filepath.Join(dir, "hgrm"), true, true},
		{dir, true, true},
		{file, true, false}, // a file for a directory
	}
	for _, c := range cases {
		err := CheckWritable(c.path, c.dir)
		if (err == nil) != c.ok {
			t.Errorf("CheckWritable(%s, dir %v): %v, want ok %v", c.path, c.dir, err, c.ok)
		}
	}
	b, _ := os.ReadFile(file)
	entries, _ := os.ReadDir(dir)
	if string(b) != "keep" || len(entries) != 1 {
		t.Fatalf("the check changed something: %q, %d entries", b, len(entries))
	}
}

// TestOutputsOnOpenFiles: --out /dev/stdout with stdout redirected to a
// file stands for a file the process has open, holding the summary
// already: the result is appended to it, not renamed over it (which left
// the file with the JSON alone). A FIFO is checked without being opened
// (opening it hands its reader an end of file before the run wrote
// anything).
func TestOutputsOnOpenFiles(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "both.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString("the summary\n")
	fd := fmt.Sprintf("/proc/self/fd/%d", f.Fd())
	if _, err := os.Stat(fd); err != nil {
		t.Skip("no /proc here")
	}
	if err := CheckWritable(fd, false); err != nil {
		t.Fatalf("check: %v", err)
	}
	if err := WriteFileAtomic(fd, []byte("{}\n")); err != nil {
		t.Fatal(err)
	}
	f.WriteString("more\n") // the process's own descriptor still writes to the same file
	if got, _ := os.ReadFile(f.Name()); string(got) != "the summary\n{}\nmore\n" {
		t.Fatalf("the file holds %q", got)
	}

	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	got := make(chan string)
	go func() {
		r, err := os.Open(fifo) // blocks until a writer opens it
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(r)
		r.Close()
		got <- string(b)
	}()
	if err := CheckWritable(fifo, false); err != nil {
		t.Fatalf("check of a FIFO: %v", err)
	}
	if err := WriteFileAtomic(fifo, []byte("the result")); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "the result" {
		t.Fatalf("the FIFO's reader got %q: the check must not open it", s)
	}
}
