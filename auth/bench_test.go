package auth_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/auth"
)

func benchEnv(b *testing.B, p auth.Params, lim auth.HashLimits) (*env, auth.Pair) {
	e := newEnv(b, p)
	e.svc.Hasher = auth.NewHasher(p, lim)
	e.register("alice", "correct horse")
	return e, e.login("alice", "correct horse")
}

// fillIndex puts n revoked sessions and n revoked jtis in the index, as a busy server holds.
func fillIndex(x *auth.Index, n int, until time.Time) {
	for i := range n {
		x.EndSession(fmt.Sprintf("sid-%d", i), until)
		x.RevokeToken(fmt.Sprintf("jti-%d", i), until)
	}
}

func BenchmarkIssueAccess(b *testing.B) {
	e, p := benchEnv(b, cheap, auth.HashLimits{Concurrency: 1})
	sub := auth.Subject{AccountID: p.Account.ID, Username: "alice", SessionID: p.Access.Claims.SID, Scope: "play host"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.svc.Tokens.IssueAccess(sub); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyAccess is the socket's reauth path: parse, verify and check revocation
// against an index of 100 000 revoked sessions and tokens.
func BenchmarkVerifyAccess(b *testing.B) {
	e, p := benchEnv(b, cheap, auth.HashLimits{Concurrency: 1})
	fillIndex(e.svc.Index, 100_000, e.clk.Now().Add(time.Hour))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.svc.VerifyAccess(p.Access.Token); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyAccessParallel(b *testing.B) {
	e, p := benchEnv(b, cheap, auth.HashLimits{Concurrency: 1})
	fillIndex(e.svc.Index, 100_000, e.clk.Now().Add(time.Hour))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.svc.VerifyAccess(p.Access.Token); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkRevocationLookup is Index.Check alone over 100 000 entries of each kind.
func BenchmarkRevocationLookup(b *testing.B) {
	x := auth.NewIndex(auth.Revoked{})
	fillIndex(x, 100_000, time.Now().Add(time.Hour))
	b.ReportAllocs()
	for b.Loop() {
		_ = x.Check("acct", "jti-42", "sid-live")
	}
}

func BenchmarkRefuseMegabyteOfDots(b *testing.B) {
	e := newEnv(b, cheap)
	dots := strings.Repeat(".", 1<<20)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.svc.VerifyAccess(dots); err == nil {
			b.Fatal("accepted")
		}
	}
}

// BenchmarkLogin is one full login at the production argon2id cost: the store lookup, the
// hash, a token pair and the session row committed.
func BenchmarkLogin(b *testing.B) {
	e, _ := benchEnv(b, auth.DefaultParams, auth.HashLimits{Concurrency: 1})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.svc.Login(ctx, "alice", "correct horse"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoginThroughput runs logins from many goroutines through the default bound of 4
// hashes at once and reports logins per second.
func BenchmarkLoginThroughput(b *testing.B) {
	e, _ := benchEnv(b, auth.DefaultParams, auth.HashLimits{Concurrency: 4, Queue: 1 << 16, Wait: time.Hour})
	ctx := context.Background()
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.svc.Login(ctx, "alice", "correct horse"); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
}
