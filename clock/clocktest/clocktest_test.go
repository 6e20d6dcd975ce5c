package clocktest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cohort-dev/cohort/clock"
)

func TestDoMovesTheFakeTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := clock.NewFake(Epoch)
		took := Do(t, c, func() time.Duration {
			start := c.Now()
			done := make(chan struct{})
			go func() { // a second sleeper, due between the first's two waits
				clock.Sleep(context.Background(), c, 15*time.Minute)
				close(done)
			}()
			clock.Sleep(context.Background(), c, 10*time.Minute)
			clock.Sleep(context.Background(), c, 10*time.Minute)
			<-done
			return c.Now().Sub(start)
		})
		if took != 20*time.Minute {
			t.Fatalf("two 10-minute sleeps took %v of fake time", took)
		}
	})
}

// fatal stands in for a test, to see Do fail one.
type fatal struct {
	testing.TB
	msg string
}

type fatalPanic struct{}

func (f *fatal) Helper() {}
func (f *fatal) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(fatalPanic{})
}

// failure runs Do over f and returns the message it failed the test with.
func failure(c *clock.Fake, f func()) (msg string) {
	tb := &fatal{}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(fatalPanic); !ok {
				panic(r)
			}
			msg = tb.msg
		}
	}()
	Run(tb, c, f)
	return ""
}

func TestDoReportsWaitsOnAnythingElse(t *testing.T) {
	cases := []struct {
		name string
		wait func(c *clock.Fake, release chan struct{})
		want string
	}{
		{"a channel nobody sends on", func(c *clock.Fake, release chan struct{}) { <-release }, "nothing is due"},
		// The time package inside a bubble (its own fake time, never the
		// machine's): code that bypassed the injected clock.
		{"the time package", func(c *clock.Fake, release chan struct{}) { <-time.After(time.Second) }, "nothing is due"},
		{"a fake time that never ends", func(c *clock.Fake, release chan struct{}) {
			for {
				select {
				case <-release:
					return
				default:
				}
				clock.Sleep(context.Background(), c, time.Minute)
			}
		}, "passed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := clock.NewFake(Epoch)
				release, ended := make(chan struct{}), make(chan struct{})
				msg := failure(c, func() {
					defer close(ended)
					tc.wait(c, release)
				})
				if !strings.Contains(msg, tc.want) {
					t.Errorf("Do failed with %q, want it to say %q", msg, tc.want)
				}
				// Let the waiter go: the channel, the fake clock, or the
				// bubble's time, which moves once this goroutine blocks.
				close(release)
				c.Advance(time.Hour)
				<-ended
			})
		})
	}
}
