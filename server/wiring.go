package server

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/auth/oidc"
	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/game/liarsdice"
	"github.com/tickwire/tickwire/store"
)

// This file is the composition root: the one place that turns a Config into the concrete
// pieces of the packages below server (the store, the signing keys, the auth service, the
// OpenID Connect relying party and the game registry). Open builds a serving server from
// them, and the offline commands (user, sessions, keys, backup, invites) build the same pieces
// from the same functions, so a data folder is opened one way whichever command opens it.

// parts are the pieces built on a data folder: its database, its signing keys and the auth
// service over both, its revocation index loaded.
type parts struct {
	db   *store.DB
	keys *auth.KeySet
	auth *auth.Service
}

// openParts opens (creating) the data folder cfg.Data, its database and its signing keys, and
// builds the auth service that cfg's token, hashing and session settings describe, on the
// clock now (nil means time.Now). onEnded, when not nil, hears of every session ended and
// every ban. On an error nothing stays open.
func openParts(ctx context.Context, cfg Config, now func() time.Time, onEnded func(auth.Ended)) (*parts, error) {
	if now == nil {
		now = time.Now
	}
	db, err := openStore(ctx, cfg.Data)
	if err != nil {
		return nil, err
	}
	keys, err := openKeys(cfg.Data, now)
	if err != nil {
		db.Close()
		return nil, err
	}
	svc := &auth.Service{
		Store:       db,
		Tokens:      &auth.Tokens{Keys: keys, AccessTTL: cfg.AccessTTL, RefreshTTL: cfg.RefreshTTL, Now: now},
		Hasher:      auth.NewHasher(auth.DefaultParams, auth.HashLimits{Concurrency: cfg.HashConcurrency, Queue: cfg.HashQueue, Wait: cfg.HashWait}),
		OnEnded:     onEnded,
		GuestScopes: cfg.GuestScopes,
		Now:         now,

		SessionMaxAge:   cfg.SessionMaxAge,
		RefreshGrace:    cfg.RefreshGrace,
		RefreshGraceMax: cfg.RefreshGraceMax,
	}
	if err := svc.Load(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return &parts{db: db, keys: keys, auth: svc}, nil
}

// offlineConfig is what an offline command builds its parts with: the data folder and
// nothing of a serving server's settings. Nothing is signed offline, but the access lifetime
// sets how long the sessions ended offline stay revoked, and the server that issued their
// tokens may run with any --access-ttl: it is the default refresh lifetime, longer than any
// access token sensibly lives. One hash at a time is all a command needs.
func offlineConfig(data string) Config {
	long := DefaultConfig().RefreshTTL
	return Config{Data: data, AccessTTL: long, RefreshTTL: long, HashConcurrency: 1}
}

// offline opens the parts of a data folder without serving. A running server on the same
// folder picks up the bans and revocations made this way every --sync-interval (datasync.go).
func offline(ctx context.Context, data string) (*parts, error) {
	return openParts(ctx, offlineConfig(data), nil, nil)
}

// openStore opens (creating) the data folder and the database in it.
func openStore(ctx context.Context, data string) (*store.DB, error) {
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	return store.Open(ctx, data)
}

// openKeys opens (creating) the signing keys of a data folder, which reload on the clock now.
func openKeys(data string, now func() time.Time) (*auth.KeySet, error) {
	keys, err := auth.OpenKeySet(filepath.Join(data, "keys"))
	if err != nil {
		return nil, err
	}
	keys.Now = now
	return keys, nil
}

// Games returns the games a server offers when its Config names none: the one list of
// Tickwire's own games, the default (the arena, with its round length from cfg) first. A game
// of its own folder under game/ is offered by one more line here; a program of its own that
// imports the server sets Config.Games instead, to this list extended or to a list of its own.
func Games(cfg Config) []game.Definition {
	return []game.Definition{
		arena.Definition(arena.Rules{RoundLength: cfg.RoundLength}),
		liarsdice.Definition(),
	}
}

// gamesOf returns the games cfg offers: Config.Games, or the built-in list when it is empty,
// copied, so that the registry's defaults never write into the caller's slice.
func gamesOf(cfg Config) []game.Definition {
	if len(cfg.Games) == 0 {
		return Games(cfg)
	}
	return slices.Clone(cfg.Games)
}

// newRegistry wires the lobbies: the games on offer (gamesOf), the engine's limits from cfg,
// and the database that keeps finished rounds. The first game is the default.
func newRegistry(cfg Config, games []game.Definition, db *store.DB, log *slog.Logger) *game.Registry {
	return &game.Registry{
		Games:    games,
		TickRate: cfg.TickRate,
		Limits: game.Limits{
			Grace:                cfg.SeatGrace,
			RoundPause:           cfg.RoundPause,
			EmptyTimeout:         cfg.LobbyIdleTimeout,
			MaxLobbies:           cfg.MaxLobbies,
			MaxLobbiesPerAccount: cfg.MaxLobbiesPerAccount,
			MaxLobbiesPerAddr:    cfg.MaxLobbiesPerAddr,
			MaxSpectators:        cfg.MaxSpectators,
			InputQueue:           cfg.InputQueue,
			InputBytes:           cfg.InputBytes,
			MaxSnapshotRate:      cfg.MaxSnapshotRate,
			AutoStartPlayers:     cfg.QuickStartPlayers,
			MaxCatchUp:           cfg.TickCatchUp,
			MaxListed:            cfg.LobbyListMax,
		},
		Results: db,
		Log:     log,
	}
}

// newOIDC wires OpenID Connect sign-in: a provider per [[oidc]] table of cfg, in config
// order, the accounts they sign in to (on p's database and auth service), and the
// per-address budget of starts, links and native logins.
func newOIDC(cfg Config, p *parts, now func() time.Time) *oidcRP {
	rp := &oidcRP{byName: map[string]*oidc.Provider{}, budget: newKeyedBudget(limit{cfg.OIDCAddrBurst, cfg.OIDCAddrEvery}, cfg.LoginTrackedKeys),
		acct: &oidc.Accounts{Store: p.db, Auth: p.auth, Now: now}}
	for _, pc := range cfg.OIDC {
		prov := oidc.New(pc, oidc.Limits{Timeout: cfg.OIDCTimeout, Retry: cfg.OIDCRetry}, nil, now)
		rp.order = append(rp.order, prov)
		rp.byName[pc.Name] = prov
	}
	return rp
}
