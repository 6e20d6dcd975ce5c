package tomcat

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// WaitForFile waits until cond holds, asking it again each time the
// kernel says a file in path's folder was written (inotify): for events
// only a server's files show, such as a line in Tomcat's access log or a
// statement in PostgreSQL's log. It gives up when ctx ends.
func WaitForFile(ctx context.Context, path string, cond func() (bool, error)) error {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return fmt.Errorf("inotify: %v", err)
	}
	events := os.NewFile(uintptr(fd), "inotify") // non-blocking: read through the runtime's poller
	defer events.Close()
	// Watched before cond is first asked, so that no write falls between.
	if _, err := unix.InotifyAddWatch(fd, filepath.Dir(path), unix.IN_MODIFY|unix.IN_CREATE|unix.IN_MOVED_TO); err != nil {
		return fmt.Errorf("watching %s: %v", filepath.Dir(path), err)
	}
	stop := context.AfterFunc(ctx, func() { events.SetReadDeadline(time.Now()) })
	defer stop()
	buf := make([]byte, 64<<10)
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		if _, err := events.Read(buf); err != nil { // one read takes every event queued
			if ctx.Err() != nil {
				return fmt.Errorf("waiting on %s: %v", path, ctx.Err())
			}
			return fmt.Errorf("waiting on %s: %v", path, err)
		}
	}
}
