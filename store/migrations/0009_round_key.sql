-- A round's key, unique: the node where the round ended names it, and a result delivered
-- again (the results stream delivers at least once) is recorded once. Rounds recorded before
-- have none; NULLs never conflict.
ALTER TABLE matches ADD COLUMN round_key TEXT;
CREATE UNIQUE INDEX matches_round_key ON matches(round_key);
