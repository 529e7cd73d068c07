package server

import (
	"context"
	"time"
)

// pruneResultsLoop deletes, at start and then every minute (or every quarter of
// --results-retention, when that is shorter), the rounds that ended more than
// --results-retention ago. The leaderboard's standings keep what those rounds counted.
func (s *Server) pruneResultsLoop(ctx context.Context) {
	every := min(time.Minute, s.cfg.ResultsRetention/4)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		cutoff := s.now().Add(-s.cfg.ResultsRetention)
		n, err := s.db.PruneMatches(ctx, cutoff)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Warn("prune results", "err", err)
		case n > 0:
			s.log.Info("pruned results", "rounds", n, "ended_before", cutoff.UTC().Format(time.RFC3339))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
