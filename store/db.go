package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite", pure Go
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is Tickwire's database. It holds three pools: the writer (one connection: SQLite has one
// writer), the reader pool for what accounts, sessions and readiness read, and the public pool
// for the reads of results (the leaderboard, a player's rounds), so that however many of those
// are asked for at once, a login or a readiness check never waits for a connection behind them.
type DB struct {
	path   string
	write  *sql.DB
	read   *sql.DB
	public *sql.DB
	stmts  map[string]*sql.Stmt
	rstmts map[string]*sql.Stmt
	pstmts map[string]*sql.Stmt
}

// DefaultPublicReads is the size of the public pool until SetPublicReads changes it.
const DefaultPublicReads = 2

// FileName is the database's name inside the data folder.
const FileName = "tickwire.db"

func dsn(file string, readOnly bool) string {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(5000)", "foreign_keys(ON)", "synchronous(FULL)"} {
		q.Add("_pragma", p)
	}
	if readOnly {
		q.Add("_pragma", "query_only(ON)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + file + "?" + q.Encode()
}

// Open opens (creating if missing) the database in dir and brings its schema up to date.
func Open(ctx context.Context, dir string) (*DB, error) {
	file := filepath.Join(dir, FileName)
	// The database holds password hashes: create it readable by its owner alone. SQLite gives
	// its -wal and -shm files the same mode.
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open db: %w", err)
	}
	f.Close()
	w, err := sql.Open("sqlite", dsn(file, false))
	if err != nil {
		return nil, fmt.Errorf("open db: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	db := &DB{path: file, write: w}
	if err := db.migrate(ctx, migrations); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn(file, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open db: %w", err)
	}
	n := max(runtime.GOMAXPROCS(0), 2)
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	db.read = r
	p, err := sql.Open("sqlite", dsn(file, true))
	if err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("open db: %w", err)
	}
	db.public = p
	db.SetPublicReads(DefaultPublicReads)
	if err := db.prepare(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// SetPublicReads sets how many connections the public pool opens at most (n below 1 counts as
// 1); a public read past them waits for one. Safe to call at any time.
func (db *DB) SetPublicReads(n int) {
	n = max(n, 1)
	db.public.SetMaxOpenConns(n)
	db.public.SetMaxIdleConns(n)
}

// Close closes the pools.
func (db *DB) Close() error {
	var errs []error
	for _, s := range db.stmts {
		errs = append(errs, s.Close())
	}
	for _, s := range db.rstmts {
		errs = append(errs, s.Close())
	}
	for _, s := range db.pstmts {
		errs = append(errs, s.Close())
	}
	if db.public != nil {
		errs = append(errs, db.public.Close())
	}
	if db.read != nil {
		errs = append(errs, db.read.Close())
	}
	errs = append(errs, db.write.Close())
	return errors.Join(errs...)
}

// migration is one embedded schema change; Version becomes the database's user_version.
type migration struct {
	Version int
	Name    string
	SQL     string
}

// migrationsIn reads fsys's migrations/NNNN_name.sql files, ordered by number. A name without
// a number or two files with one number are errors.
func migrationsIn(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, name := range names {
		base := path.Base(name)
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil || v < 1 {
			return nil, fmt.Errorf("migration %s: name must start with its number", base)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{Version: v, Name: base, SQL: string(body)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.Version - b.Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s share the number %d", ms[i-1].Name, ms[i].Name, ms[i].Version)
		}
	}
	if len(ms) == 0 {
		return nil, errors.New("no migrations embedded")
	}
	return ms, nil
}

// migrate applies, in order and each in its own transaction together with its user_version,
// the migrations newer than the database's user_version. A database newer than every
// migration was written by a newer binary and is refused rather than misread.
func (db *DB) migrate(ctx context.Context, fsys fs.FS) error {
	ms, err := migrationsIn(fsys)
	if err != nil {
		return err
	}
	var have int
	if err := db.write.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if latest := ms[len(ms)-1].Version; have > latest {
		return fmt.Errorf("database schema version %d is newer than this binary knows (%d): run a newer tickwire", have, latest)
	}
	for _, m := range ms {
		if m.Version <= have {
			continue
		}
		if err := db.apply(ctx, m); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
		have = m.Version
	}
	return nil
}

func (db *DB) apply(ctx context.Context, m migration) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.Version)); err != nil {
		return err
	}
	return tx.Commit()
}

// Backup writes an online, consistent copy of the database to path (VACUUM INTO), safe while
// the server runs.
func (db *DB) Backup(ctx context.Context, path string) error {
	if _, err := db.write.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.read.PingContext(ctx) }
