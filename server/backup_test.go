package server_test

import (
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server/servertest"
)

// dbFacts opens a database file read-only and returns its integrity check and account count.
func dbFacts(t *testing.T, path string) (string, int) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	var n int
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil {
		t.Fatalf("integrity check of %s: %v", path, err)
	}
	if err := db.QueryRow("SELECT count(*) FROM accounts").Scan(&n); err != nil {
		t.Fatalf("count accounts in %s: %v", path, err)
	}
	return check, n
}

// TestBackupWhileServing takes backups with `tickwire backup` while clients keep creating
// accounts: every backup is a sound database holding at least every account acknowledged
// before it began, and one taken after the writes stop holds all of them.
func TestBackupWhileServing(t *testing.T) {
	data := t.TempDir()
	m := servertest.StartMain(t, []string{"--data", data, "--addr", "127.0.0.1:0", "--log-level", "warn"}, nil)
	var acked atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := http.Post(m.URL+"/api/v1/auth/guest", "application/json", nil)
				if err != nil {
					continue
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					acked.Add(1)
				}
			}
		}()
	}
	out := t.TempDir()
	type taken struct {
		path   string
		before int64
	}
	var backups []taken
	for i := range 4 {
		time.Sleep(150 * time.Millisecond)
		p := filepath.Join(out, fmt.Sprintf("backup-%d.db", i))
		before := acked.Load()
		if code, _, errOut := servertest.RunMain(t, "", "backup", "--data", data, p); code != 0 {
			t.Fatalf("backup %d while serving: exit %d: %s", i, code, errOut)
		}
		backups = append(backups, taken{p, before})
	}
	close(stop)
	wg.Wait()
	final := filepath.Join(out, "final.db")
	if code, _, errOut := servertest.RunMain(t, "", "backup", "--data", data, final); code != 0 {
		t.Fatalf("final backup: %s", errOut)
	}
	backups = append(backups, taken{final, acked.Load()})
	if acked.Load() < 10 {
		t.Fatalf("only %d writes happened during the backups; the test proves nothing", acked.Load())
	}
	for i, b := range backups {
		check, n := dbFacts(t, b.path)
		if check != "ok" {
			t.Fatalf("backup %d: integrity check says %q", i, check)
		}
		if int64(n) < b.before {
			t.Fatalf("backup %d holds %d accounts, but %d were acknowledged before it began", i, n, b.before)
		}
		st, err := os.Stat(b.path)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("backup %d: mode %v, want 0600 (it holds password hashes)", i, st.Mode())
		}
	}
	if _, n := dbFacts(t, final); int64(n) != acked.Load() {
		t.Fatalf("the final backup holds %d accounts, %d were acknowledged", n, acked.Load())
	}
	if code := m.Stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func TestBackupRefusals(t *testing.T) {
	data := t.TempDir()
	if code, _, e := servertest.RunMain(t, "correct horse\n", "user", "add", "--data", data, "someone"); code != 0 {
		t.Fatal(e)
	}
	existing := filepath.Join(t.TempDir(), "there.db")
	os.WriteFile(existing, []byte("keep me"), 0o600)
	if code, _, _ := servertest.RunMain(t, "", "backup", "--data", data, existing); code != 1 {
		t.Fatalf("a backup over an existing file: exit %d, want 1", code)
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me" {
		t.Fatal("a backup overwrote an existing file")
	}
	empty := filepath.Join(t.TempDir(), "nothing-here")
	if code, _, _ := servertest.RunMain(t, "", "backup", "--data", empty, filepath.Join(t.TempDir(), "x.db")); code != 1 {
		t.Fatalf("a backup of a missing database: exit %d, want 1", code)
	}
	if _, err := os.Stat(filepath.Join(empty, "tickwire.db")); err == nil {
		t.Fatal("backing up a missing database created an empty one")
	}
	if code, _, _ := servertest.RunMain(t, "", "backup", "--data", data); code != 2 {
		t.Fatalf("backup without FILE: exit %d, want 2", code)
	}
}

// TestRestoreFromBackup follows HOSTING.md's restore procedure: a fresh data folder holding the
// backup as tickwire.db and a copy of keys/ serves the old accounts, and tokens issued before
// the backup still verify.
func TestRestoreFromBackup(t *testing.T) {
	data := t.TempDir()
	m := servertest.StartMain(t, []string{"--data", data, "--addr", "127.0.0.1:0"}, nil)
	access, _ := servertest.SignUp(t, nil, m.URL, "keeper", "correct horse")
	backup := filepath.Join(t.TempDir(), "tickwire-backup.db")
	if code, _, e := servertest.RunMain(t, "", "backup", "--data", data, backup); code != 0 {
		t.Fatal(e)
	}
	servertest.SignUp(t, nil, m.URL, "latecomer", "correct horse")
	m.Stop()

	restored := t.TempDir()
	copyFile(t, backup, filepath.Join(restored, "tickwire.db"))
	keys, _ := filepath.Glob(filepath.Join(data, "keys", "*.pem"))
	os.MkdirAll(filepath.Join(restored, "keys"), 0o700)
	for _, k := range keys {
		copyFile(t, k, filepath.Join(restored, "keys", filepath.Base(k)))
	}
	m2 := servertest.StartMain(t, []string{"--data", restored, "--addr", "127.0.0.1:0"}, nil)
	servertest.Login(t, nil, m2.URL, "keeper", "correct horse")
	if st, b, _ := servertest.Call(t, nil, "GET", m2.URL+"/api/v1/me", access, nil); st != http.StatusOK {
		t.Fatalf("a token from before the backup: %d %v", st, b)
	}
	st, _, _ := servertest.Call(t, nil, "POST", m2.URL+"/api/v1/auth/login", "", map[string]string{"username": "latecomer", "password": "correct horse"})
	if st != http.StatusUnauthorized {
		t.Fatalf("an account made after the backup exists after the restore: %d", st)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
