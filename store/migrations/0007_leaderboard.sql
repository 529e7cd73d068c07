-- Leaderboard totals: each account's standing over every recorded round, kept by RecordMatch in
-- the transaction that records a round, so that the leaderboard reads its first rows by index
-- and never the history. No foreign key to accounts: a standing outlives its account row (a
-- deleted guest keeps its results) and the history it was summed from (--results-retention).
-- username is the account's name when its last round was recorded.
CREATE TABLE leaderboard (
	account_id TEXT PRIMARY KEY,
	username   TEXT NOT NULL COLLATE NOCASE,
	total      INTEGER NOT NULL, -- score summed over its rounds
	matches    INTEGER NOT NULL, -- rounds played to the end
	wins       INTEGER NOT NULL, -- rounds finished first (ties included) with a score above 0
	best       INTEGER NOT NULL  -- its best round's score
) STRICT;
CREATE INDEX leaderboard_rank ON leaderboard(total DESC, username);

INSERT INTO leaderboard (account_id, username, total, matches, wins, best)
SELECT p.account_id, COALESCE(a.username, MAX(p.name)), SUM(p.score), COUNT(*), SUM(p.place = 1 AND p.score > 0), MAX(p.score)
FROM match_players p LEFT JOIN accounts a ON a.id = p.account_id
GROUP BY p.account_id;

-- The retention purge deletes the oldest rounds first.
CREATE INDEX matches_ended ON matches(ended_at);
