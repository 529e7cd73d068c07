package server

import (
	"time"

	"github.com/labstack/echo/v4"
	"github.com/tickwire/tickwire/server/wire"
)

// publicReadRetry is the Retry-After of a public read refused for want of a slot: the slots
// free in milliseconds, so a second is plenty.
const publicReadRetry = time.Second

// publicReads bounds the public reads (the leaderboard, a player's rounds, lobby lists) served
// at once to --public-reads, each waiting at most --public-read-wait for a slot. Those of the
// database read on connections of their own (store.DB.SetPublicReads), so a flood of them
// queues here, in bounded time, and never in front of a login or a readiness check.
type publicReads struct {
	slots chan struct{}
	wait  time.Duration
}

func newPublicReads(n int, wait time.Duration) *publicReads {
	return &publicReads{slots: make(chan struct{}, max(n, 1)), wait: wait}
}

var errPublicReadsBusy = &wire.Error{Code: wire.CodeUnavailable, Message: "too many reads at once; try again shortly", RetryAfter: wire.RetrySeconds(publicReadRetry)}

// gate is the middleware of the public read routes: it holds a slot for the request, or
// answers 503 unavailable with Retry-After once the wait is over.
func (p *publicReads) gate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		select {
		case p.slots <- struct{}{}:
		default:
			t := time.NewTimer(p.wait)
			select {
			case p.slots <- struct{}{}:
				t.Stop()
			case <-t.C:
				return errPublicReadsBusy
			case <-c.Request().Context().Done():
				t.Stop()
				return errPublicReadsBusy // the client has gone; nobody reads the answer
			}
		}
		defer func() { <-p.slots }()
		return next(c)
	}
}
