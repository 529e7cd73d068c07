package server

import (
	"context"
	"time"

	"github.com/tickwire/tickwire/auth"
)

// dataSync carries into a running server what tickwire commands (user ban and unban, sessions
// revoke, keys rotate) wrote to its data folder: those commands open the database and the key
// folder directly, and without this the server would learn of them only at its next start.
// It is owned by the one goroutine that runs syncLoop.
type dataSync struct {
	since    time.Time       // the start of the next window of ended sessions
	disabled map[string]bool // accounts disabled at the last look
}

// syncLoop polls every --sync-interval until ctx ends.
func (s *Server) syncLoop(ctx context.Context, st *dataSync) {
	t := time.NewTicker(s.cfg.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.syncOnce(ctx, st); err != nil && ctx.Err() == nil {
				s.log.Warn("pick up changes to the data folder", "err", err)
			}
		}
	}
}

// newDataSync starts the windows at now, with the disabled accounts the index was loaded with.
func newDataSync(now time.Time, disabled map[string]bool) *dataSync {
	return &dataSync{since: now, disabled: disabled}
}

// syncOnce applies one round of changes: signing keys added to the key folder, sessions ended
// and accounts banned or unbanned in the database. Changes the server made itself are already
// in its index and are skipped, so nothing is kicked twice.
func (s *Server) syncOnce(ctx context.Context, st *dataSync) error {
	if err := s.auth.Tokens.Keys.Reload(); err != nil {
		return err
	}
	s.publishKeys(ctx)
	now := s.now()
	// ended_at has one-second resolution: look back a second so that a session ended in the
	// same second as the last look is not missed; the index makes the overlap harmless.
	ended, err := s.db.SessionsEndedSince(ctx, st.since.Add(-time.Second), now)
	if err != nil {
		return err
	}
	st.since = now
	for _, e := range ended {
		if s.auth.Index.SessionEnded(e.ID) {
			continue
		}
		s.auth.Index.EndSession(e.ID, later(e.ExpiresAt, now.Add(s.cfg.AccessTTL)))
		s.onSessionEnded(auth.Ended{SessionID: e.ID, AccountID: e.AccountID, Reason: "revoked"})
	}
	disabled, err := s.db.DisabledAccounts(ctx)
	if err != nil {
		return err
	}
	for id := range disabled {
		if !s.auth.Index.Disabled(id) {
			s.auth.Index.SetDisabled(id, true)
			s.onSessionEnded(auth.Ended{AccountID: id, Reason: "ban"})
		}
	}
	for id := range st.disabled {
		if !disabled[id] {
			s.auth.Index.SetDisabled(id, false)
			s.publishUnban(id)
		}
	}
	st.disabled = disabled
	return nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
