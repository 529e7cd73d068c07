package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/tickwire/tickwire/auth"
)

func openTest(t testing.TB) (*DB, string) {
	t.Helper()
	dir := t.TempDir()
	db, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, dir
}

func latestVersion(t testing.TB) int {
	ms, err := migrationsIn(migrations)
	if err != nil {
		t.Fatal(err)
	}
	return ms[len(ms)-1].Version
}

func pragma(t testing.TB, conn interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, name string) string {
	t.Helper()
	var v string
	if err := conn.QueryRowContext(context.Background(), "PRAGMA "+name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

func TestOpenAnEmptyFolderMigratesAndConfigures(t *testing.T) {
	db, dir := openTest(t)
	ctx := context.Background()
	if fi, err := os.Stat(filepath.Join(dir, FileName)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("database file mode = %v (%v), want 0600: it holds password hashes", fi.Mode().Perm(), err)
	}
	if got := pragma(t, db.write, "user_version"); got != fmt.Sprint(latestVersion(t)) {
		t.Errorf("user_version = %s, want %d", got, latestVersion(t))
	}
	want := map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "5000", "synchronous": "2"}
	for name, conn := range map[string]*sql.DB{"writer": db.write, "reader": db.read} {
		for p, v := range want {
			if got := pragma(t, conn, p); got != v {
				t.Errorf("%s: PRAGMA %s = %s, want %s", name, p, got, v)
			}
		}
	}
	if got := pragma(t, db.read, "query_only"); got != "1" {
		t.Errorf("reader query_only = %s", got)
	}
	if _, err := db.read.ExecContext(ctx, "DELETE FROM accounts"); err == nil {
		t.Error("the reader pool wrote")
	}
	if n := db.write.Stats().MaxOpenConnections; n != 1 {
		t.Errorf("writer pool allows %d connections, want 1", n)
	}
	if n := db.read.Stats().MaxOpenConnections; n < 2 {
		t.Errorf("reader pool allows %d connections, want several", n)
	}
	for _, table := range []string{"accounts", "sessions", "revoked_tokens", "matches", "match_players"} {
		var n int
		if err := db.read.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Errorf("table %s: %v", table, err)
		}
	}
	var col int
	if err := db.read.QueryRowContext(ctx, "SELECT count(*) FROM pragma_table_info('sessions') WHERE name = 'revoked_until'").Scan(&col); err != nil || col != 1 {
		t.Errorf("sessions.revoked_until: %v, %d", err, col)
	}
	// Every statement prepared; a query name typo would panic at the first call.
	if len(db.stmts) != len(writeQueries) || len(db.rstmts) != len(readQueries) {
		t.Errorf("prepared %d+%d statements of %d+%d", len(db.stmts), len(db.rstmts), len(writeQueries), len(readQueries))
	}
}

func TestReopenKeepsDataAndVersion(t *testing.T) {
	db, dir := openTest(t)
	ctx := context.Background()
	a := auth.Account{ID: "a1", Username: "alice", Scopes: []string{"play"}, CreatedAt: time.Unix(1, 0)}
	if err := db.CreateAccount(ctx, a, "hash"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db2, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	got, hash, err := db2.AccountByName(ctx, "ALICE")
	if err != nil || got.ID != "a1" || hash != "hash" || got.Scope() != "play" {
		t.Fatalf("after reopen: %+v %q %v", got, hash, err)
	}
}

// TestMigrationFromTheFirstSchema opens a database made by a binary that knew only 0001 and
// checks that 0002 carries its ended sessions over.
func TestMigrationFromTheFirstSchema(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	first, _ := migrations.ReadFile("migrations/0001_init.sql")
	w, err := sql.Open("sqlite", dsn(filepath.Join(dir, FileName), false))
	if err != nil {
		t.Fatal(err)
	}
	w.SetMaxOpenConns(1)
	old := &DB{write: w}
	if err := old.migrate(ctx, fstest.MapFS{"migrations/0001_init.sql": {Data: first}}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO accounts (id, username, scopes, created_at) VALUES ('a1', 'alice', 'play', 1)`,
		`INSERT INTO sessions (id, account_id, refresh_jti, created_at, expires_at, ended_at, ended_reason) VALUES ('s1', 'a1', 'j1', 1, 5000, 2, 'logout')`,
		`INSERT INTO sessions (id, account_id, refresh_jti, created_at, expires_at) VALUES ('s2', 'a1', 'j2', 1, 5000)`,
	} {
		if _, err := w.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()

	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := db.LoadRevoked(ctx, time.Unix(100, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Sessions) != 1 || !r.Sessions["s1"].Equal(time.Unix(5000, 0)) {
		t.Errorf("ended sessions after migrating = %v, want s1 until its expiry", r.Sessions)
	}
}

func TestSchemaNewerThanTheBinaryIsRefused(t *testing.T) {
	db, dir := openTest(t)
	if _, err := db.write.Exec("PRAGMA user_version = 9999"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err := Open(context.Background(), dir)
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("open of a newer schema: %v", err)
	}
}

func TestMigrationNamesAreChecked(t *testing.T) {
	sqlFile := &fstest.MapFile{Data: []byte("SELECT 1;")}
	for name, fsys := range map[string]fstest.MapFS{
		"no number":  {"migrations/init.sql": sqlFile},
		"a zero":     {"migrations/0000_x.sql": sqlFile},
		"one number": {"migrations/0002_a.sql": sqlFile, "migrations/002_b.sql": sqlFile},
		"none":       {},
	} {
		if _, err := migrationsIn(fsys); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	ms, err := migrationsIn(fstest.MapFS{"migrations/10_b.sql": sqlFile, "migrations/9_a.sql": sqlFile})
	if err != nil || ms[0].Version != 9 || ms[1].Version != 10 {
		t.Errorf("migrations are not ordered by number: %+v, %v", ms, err)
	}
}

func TestForeignKeysHold(t *testing.T) {
	db, _ := openTest(t)
	err := db.CreateSession(context.Background(), auth.Session{ID: "s", AccountID: "nobody", RefreshJTI: "j", CreatedAt: time.Unix(1, 0), ExpiresAt: time.Unix(2, 0)})
	if err == nil {
		t.Fatal("a session of no account was stored")
	}
}

// TestAnotherProcessWaitsForTheWriter: a second handle on the folder, as `tickwire user ban`
// opens while the server runs, waits out the busy writer instead of failing.
func TestAnotherProcessWaitsForTheWriter(t *testing.T) {
	db, dir := openTest(t)
	ctx := context.Background()
	other, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := db.write.BeginTx(ctx, nil) // BEGIN IMMEDIATE: holds the write lock
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, username, scopes, created_at) VALUES ('a1', 'alice', 'play', 1)`); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- other.CreateAccount(ctx, auth.Account{ID: "b1", Username: "bob", CreatedAt: time.Unix(1, 0)}, "")
	}()
	time.Sleep(100 * time.Millisecond)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the second writer failed instead of waiting: %v", err)
	}
}

func TestConcurrentReadsAndWrites(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 25 {
				id := fmt.Sprintf("w%d-%d", w, i)
				if err := db.CreateAccount(ctx, auth.Account{ID: id, Username: id, CreatedAt: time.Unix(1, 0)}, ""); err != nil {
					t.Error(err)
					return
				}
				if _, _, err := db.AccountByName(ctx, id); err != nil {
					t.Errorf("read own write %s: %v", id, err)
					return
				}
			}
		})
	}
	wg.Wait()
	accts, err := db.ListAccounts(ctx, 1000)
	if err != nil || len(accts) != 100 {
		t.Fatalf("%d accounts, %v; want 100", len(accts), err)
	}
}
