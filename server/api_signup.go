package server

import (
	"context"

	"github.com/labstack/echo/v4"
	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/server/wire"
)

// budgeted charges each request to b by its client address (an IPv4 address, or an IPv6 /64)
// whatever its outcome, and refuses it with 429 rate_limited and Retry-After, before it does
// any work, when the address has used up its budget (a registration, a guest account).
func (s *Server) budgeted(b *keyedBudget, message string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if wait := b.take(s.now(), clientKey(c.RealIP())); wait > 0 {
				return &wire.Error{Code: wire.CodeRateLimited, Message: message, RetryAfter: wire.RetrySeconds(wait)}
			}
			return next(c)
		}
	}
}

// seen records a guest's sign-in (a refresh) for --guest-retention; registered accounts are
// never deleted for idleness, and cost no write.
func (s *Server) seen(ctx context.Context, a auth.Account) {
	if !a.Guest {
		return
	}
	if err := s.db.SeenAccount(context.WithoutCancel(ctx), a.ID, s.now()); err != nil {
		s.log.Warn("record a guest's sign-in", "err", err)
	}
}
