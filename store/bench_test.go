package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tickwire/tickwire/auth"
)

func BenchmarkAccountByName(b *testing.B) {
	db, _ := openTest(b)
	for i := range 1000 {
		mustAccount(b, db, fmt.Sprint("a", i), fmt.Sprint("user", i))
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := db.AccountByName(ctx, "user500"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateSession is the committed write a login makes (synchronous=FULL, WAL).
func BenchmarkCreateSession(b *testing.B) {
	db, _ := openTest(b)
	mustAccount(b, db, "a1", "alice")
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if err := db.CreateSession(ctx, auth.Session{ID: fmt.Sprint("s", i), AccountID: "a1", RefreshJTI: "j", CreatedAt: exp, ExpiresAt: exp}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRotateRefresh is the compare-and-swap a refresh makes.
func BenchmarkRotateRefresh(b *testing.B) {
	db, _ := openTest(b)
	mustAccount(b, db, "a1", "alice")
	mustSession(b, db, "s1", "a1", "j0", time.Now().Add(time.Hour))
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ok, err := db.RotateRefresh(ctx, "s1", fmt.Sprint("j", i), fmt.Sprint("j", i+1), exp, exp)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
		i++
	}
}

// BenchmarkLoadRevoked reads 10 000 ended sessions and 10 000 revoked tokens, as a start or
// a Sync does.
func BenchmarkLoadRevoked(b *testing.B) {
	db, _ := openTest(b)
	mustAccount(b, db, "a1", "alice")
	ctx := context.Background()
	now := time.Now()
	tx, err := db.write.BeginTx(ctx, nil) // one transaction: the setup is not what is measured
	if err != nil {
		b.Fatal(err)
	}
	exp := now.Add(time.Hour).Unix()
	for i := range 10_000 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, account_id, refresh_jti, created_at, expires_at, ended_at, ended_reason, revoked_until) VALUES (?, 'a1', 'j', 1, ?, 1, 'logout', ?)`, fmt.Sprint("s", i), exp, exp); err != nil {
			b.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO revoked_tokens (jti, expires_at) VALUES (?, ?)`, fmt.Sprint("t", i), exp); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		r, err := db.LoadRevoked(ctx, now)
		if err != nil || len(r.Sessions) != 10_000 {
			b.Fatal(len(r.Sessions), err)
		}
	}
}
