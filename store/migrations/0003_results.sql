-- Game results: how many played each round, and each player's place in it (1 is best; ties
-- share a place).
ALTER TABLE matches ADD COLUMN players INTEGER NOT NULL DEFAULT 0;
ALTER TABLE match_players ADD COLUMN place INTEGER NOT NULL DEFAULT 0;
