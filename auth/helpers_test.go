package auth_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/server/wire"
	"github.com/tickwire/tickwire/store"
)

// clock is a time source tests step by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now().Truncate(time.Second)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Step(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// cheap are argon2id parameters that keep behaviour tests fast; the cost itself is measured by
// the benchmarks at DefaultParams.
var cheap = auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

const (
	accessTTL  = 15 * time.Minute
	refreshTTL = 24 * time.Hour
)

// env is a Service over a real SQLite store in a temporary folder, on a stepped clock, that
// records what it tells OnEnded.
type env struct {
	t    testing.TB
	dir  string
	clk  *clock
	db   *store.DB
	keys *auth.KeySet
	svc  *auth.Service

	mu    sync.Mutex
	ended []auth.Ended
}

func newEnv(t testing.TB, p auth.Params) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), clk: newClock()}
	e.open(p)
	return e
}

// open (re)opens the store, keys and service on e's folder, as a restarted server would.
func (e *env) open(p auth.Params) {
	e.t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, e.dir)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { db.Close() })
	keys, err := auth.OpenKeySet(e.dir + "/keys")
	if err != nil {
		e.t.Fatal(err)
	}
	keys.Now = e.clk.Now
	e.db, e.keys = db, keys
	e.svc = &auth.Service{
		Store:  db,
		Tokens: &auth.Tokens{Keys: keys, AccessTTL: accessTTL, RefreshTTL: refreshTTL, Now: e.clk.Now},
		Hasher: auth.NewHasher(p, auth.HashLimits{Concurrency: 2, Queue: 16}),
		OnEnded: func(x auth.Ended) {
			e.mu.Lock()
			e.ended = append(e.ended, x)
			e.mu.Unlock()
		},
		Now: e.clk.Now,
	}
	if err := e.svc.Load(ctx); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) endedEvents() []auth.Ended {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]auth.Ended(nil), e.ended...)
}

func (e *env) register(name, password string) auth.Account {
	e.t.Helper()
	a, err := e.svc.Register(context.Background(), name, password, false)
	if err != nil {
		e.t.Fatalf("register %s: %v", name, err)
	}
	return a
}

func (e *env) login(name, password string) auth.Pair {
	e.t.Helper()
	p, err := e.svc.Login(context.Background(), name, password)
	if err != nil {
		e.t.Fatalf("login %s: %v", name, err)
	}
	return p
}

// wantCode fails the test unless err carries code (or is nil when code is "").
func wantCode(t testing.TB, what string, err error, code string) {
	t.Helper()
	switch {
	case code == "" && err != nil:
		t.Errorf("%s: %v, want success", what, err)
	case code != "" && err == nil:
		t.Errorf("%s: accepted, want %s", what, code)
	case code != "" && wire.ErrorCode(err) != code:
		t.Errorf("%s: %v, want %s", what, err, code)
	}
}
