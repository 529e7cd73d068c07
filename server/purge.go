package server

import (
	"context"
	"time"

	"github.com/tickwire/tickwire/auth"
)

// purgeLoop drops, every minute, what no longer matters: expired revocations (index and
// store), expired invites, refilled login-throttle, sign-up and lobby buckets, and idle guests.
// A game node has no store: it drops the revocations it applied from the cluster's stream
// once the last token they refuse has expired, and its buckets.
func (s *Server) purgeLoop(ctx context.Context) {
	every := s.cfg.PurgeInterval
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.purge(ctx)
		}
	}
}

// purge is one round of purgeLoop.
func (s *Server) purge(ctx context.Context) {
	if s.db == nil {
		s.auth.Index.Purge(s.now())
	} else {
		if err := s.auth.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("sweep expired", "err", err)
		}
		if err := s.db.PurgeInvites(ctx, s.now()); err != nil && ctx.Err() == nil {
			s.log.Warn("purge invites", "err", err)
		}
		s.deleteIdleGuests(ctx)
	}
	s.throttle.sweep(s.now())
	s.registers.sweep(s.now())
	s.guests.sweep(s.now())
	s.lobbyAddr.sweep(s.now())
	s.codeFails.sweep(s.now())
	s.oidc.budget.sweep(s.now())
}

// deleteIdleGuests deletes the guest accounts that have not signed in for --guest-retention,
// with their sessions; their match results stay. The cutoff is never later than the access
// token lifetime ago, so that no token of a deleted guest can still be valid.
func (s *Server) deleteIdleGuests(ctx context.Context) {
	now := s.now()
	cutoff := now.Add(-max(s.cfg.GuestRetention, s.cfg.AccessTTL+auth.Leeway))
	n, err := s.db.DeleteIdleGuests(ctx, cutoff, now)
	if err != nil && ctx.Err() == nil {
		s.log.Warn("delete idle guests", "err", err)
	}
	if n > 0 {
		s.log.Info("deleted idle guests", "guests", n, "retention", s.cfg.GuestRetention)
	}
}
