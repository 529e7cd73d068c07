//go:build !linux || tickwire_portable

package ws

import "time"

// Without the Linux read path (poll_linux.go) there are no pollers: every socket is read by a
// goroutine of its own (Run).

// Pollers are none here: NewPollers returns nil, and Start reads every socket with Run.
type Pollers struct{}

// NewPollers returns nil: there are no pollers on this system.
func NewPollers() *Pollers { return nil }

// Close does nothing: there are no pollers.
func (*Pollers) Close() {}

// poller is never made here.
type poller struct{}

// Start serves c, once it is attached, with a goroutine of its own (Run); end is called once
// with why reading ended, after the connection is dropped. It does not wait.
func (c *Conn) Start(_ *Pollers, end func(error)) {
	go func() { end(c.Run()) }()
}

// stopReading is not reached: no socket is polled.
func (c *Conn) stopReading() {}

func monoNanos(t time.Time) int64 { return t.UnixNano() }
