package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/auth/authtest"
	"github.com/tickwire/tickwire/server/wire"
)

func TestHostileTokensAreRefusedWithTheRightCode(t *testing.T) {
	e := newEnv(t, cheap)
	ctx := context.Background()
	a := e.register("alice", "correct horse")
	p := e.login("alice", "correct horse")
	subj := authtest.Subject{AccountID: a.ID, Username: a.Username, SessionID: p.Access.Claims.SID}
	now := e.clk.Now()

	for _, c := range authtest.Hostile(e.keys.Signing(), subj, now, p.Refresh.Token) {
		t.Run(c.Name, func(t *testing.T) {
			_, err := e.svc.VerifyAccess(c.Token)
			wantCode(t, "VerifyAccess", err, c.Code)
		})
	}

	t.Run("a good forged-by-hand token is accepted (control)", func(t *testing.T) {
		tok := authtest.SignEdDSA(authtest.Header(e.keys.Signing().ID), authtest.Claims(subj, now, time.Minute), e.keys.Signing().Private)
		_, err := e.svc.VerifyAccess(tok)
		wantCode(t, "VerifyAccess", err, "")
	})
	t.Run("expired within the leeway is accepted, past it refused", func(t *testing.T) {
		c := authtest.Claims(subj, now.Add(-time.Minute), time.Minute-auth.Leeway+time.Second)
		tok := authtest.SignEdDSA(authtest.Header(e.keys.Signing().ID), c, e.keys.Signing().Private)
		_, err := e.svc.VerifyAccess(tok)
		wantCode(t, "within leeway", err, "")
		e.clk.Step(2 * time.Second)
		defer e.clk.Step(-2 * time.Second)
		_, err = e.svc.VerifyAccess(tok)
		wantCode(t, "past leeway", err, wire.CodeTokenExpired)
	})
	t.Run("an access token used as a refresh token", func(t *testing.T) {
		_, err := e.svc.Refresh(ctx, p.Access.Token)
		wantCode(t, "Refresh", err, wire.CodeInvalidToken)
	})
	t.Run("revoked jti", func(t *testing.T) {
		q := e.login("alice", "correct horse")
		e.svc.Index.RevokeToken(q.Access.Claims.ID, q.Access.Claims.ExpiresAt.Time)
		_, err := e.svc.VerifyAccess(q.Access.Token)
		wantCode(t, "VerifyAccess", err, wire.CodeTokenRevoked)
	})
	t.Run("ended sid", func(t *testing.T) {
		q := e.login("alice", "correct horse")
		// A second access token of the same session, from a refresh, before the session ends.
		r, err := e.svc.Refresh(ctx, q.Refresh.Token)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.EndSession(ctx, q.Access.Claims.SID, a.ID, "revoked"); err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{q.Access.Token, r.Access.Token} {
			_, err := e.svc.VerifyAccess(tok)
			wantCode(t, "VerifyAccess", err, wire.CodeTokenRevoked)
		}
	})
	t.Run("banned account", func(t *testing.T) {
		e.register("mallory", "correct horse")
		q := e.login("mallory", "correct horse")
		if _, err := e.svc.SetBanned(ctx, "mallory", true); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.VerifyAccess(q.Access.Token)
		wantCode(t, "VerifyAccess", err, wire.CodeAccountDisabled)
	})
	t.Run("the original token still works (control)", func(t *testing.T) {
		_, err := e.svc.VerifyAccess(p.Access.Token)
		wantCode(t, "VerifyAccess", err, "")
	})
}

// TestMegabyteOfDotsIsCheap: a huge token is refused by its length alone, with no allocation.
func TestMegabyteOfDotsIsCheap(t *testing.T) {
	e := newEnv(t, cheap)
	dots := strings.Repeat(".", 1<<20)
	var err error
	allocs := testing.AllocsPerRun(20, func() { _, err = e.svc.VerifyAccess(dots) })
	wantCode(t, "a megabyte of dots", err, wire.CodeInvalidToken)
	if allocs != 0 {
		t.Errorf("refusing a megabyte of dots allocated %v times per call, want 0", allocs)
	}
	// Just under the limit, dots still cost no decoding.
	under := strings.Repeat(".", auth.MaxTokenBytes)
	allocs = testing.AllocsPerRun(20, func() { _, err = e.svc.VerifyAccess(under) })
	wantCode(t, "4 KiB of dots", err, wire.CodeInvalidToken)
	if allocs != 0 {
		t.Errorf("refusing 4 KiB of dots allocated %v times per call, want 0", allocs)
	}
}

func TestTokensCarryTheContractClaims(t *testing.T) {
	e := newEnv(t, cheap)
	e.register("alice", "correct horse")
	p := e.login("alice", "correct horse")
	c, err := e.svc.VerifyAccess(p.Access.Token)
	if err != nil {
		t.Fatal(err)
	}
	now := e.clk.Now()
	switch {
	case c.Issuer != auth.Issuer, len(c.Audience) != 1 || c.Audience[0] != auth.AudienceAccess:
		t.Errorf("iss/aud = %q/%q", c.Issuer, c.Audience)
	case c.Subject != p.Account.ID, c.Name != "alice", c.SID == "", c.ID == "":
		t.Errorf("sub/name/sid/jti = %q/%q/%q/%q", c.Subject, c.Name, c.SID, c.ID)
	case c.Scope != "play host":
		t.Errorf("scope = %q", c.Scope)
	case !c.IssuedAt.Equal(now), !c.NotBefore.Equal(now), !c.ExpiresAt.Equal(now.Add(accessTTL)):
		t.Errorf("iat/nbf/exp = %v/%v/%v, now %v", c.IssuedAt, c.NotBefore, c.ExpiresAt, now)
	}
	r, err := e.svc.Tokens.ParseRefresh(p.Refresh.Token)
	if err != nil {
		t.Fatal(err)
	}
	if r.SID != c.SID || r.Scope != "" || !r.ExpiresAt.Equal(now.Add(refreshTTL)) {
		t.Errorf("refresh sid/scope/exp = %q/%q/%v", r.SID, r.Scope, r.ExpiresAt)
	}
	if _, err := e.svc.Tokens.ParseRefresh(p.Access.Token); wire.ErrorCode(err) != wire.CodeInvalidToken {
		t.Errorf("an access token parsed as refresh: %v", err)
	}
}
