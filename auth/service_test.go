package auth_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/server/wire"
)

func TestRefreshRotatesAndReuseEndsTheSession(t *testing.T) {
	e := newEnv(t, cheap)
	ctx := context.Background()
	e.register("alice", "correct horse")
	p1 := e.login("alice", "correct horse")
	sid := p1.Access.Claims.SID

	e.clk.Step(time.Minute)
	p2, err := e.svc.Refresh(ctx, p1.Refresh.Token)
	if err != nil {
		t.Fatal(err)
	}
	p3, err := e.svc.Refresh(ctx, p2.Refresh.Token)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range []auth.Pair{p2, p3} {
		if p.Access.Claims.SID != sid || p.Refresh.Claims.SID != sid {
			t.Errorf("refresh %d changed the sid", i+1)
		}
		if p.Refresh.Claims.ID == p1.Refresh.Claims.ID || p.Access.Claims.ID == p1.Access.Claims.ID {
			t.Errorf("refresh %d reused a jti", i+1)
		}
		if _, err := e.svc.VerifyAccess(p.Access.Token); err != nil {
			t.Errorf("access of refresh %d: %v", i+1, err)
		}
	}
	if len(e.endedEvents()) != 0 {
		t.Fatalf("a session ended during honest refreshes: %v", e.endedEvents())
	}

	// Someone presents p1's refresh token again: a thief or its owner, either way the session
	// is compromised and ends.
	_, err = e.svc.Refresh(ctx, p1.Refresh.Token)
	wantCode(t, "reused refresh token", err, wire.CodeTokenRevoked)
	ev := e.endedEvents()
	if len(ev) != 1 || ev[0].SessionID != sid || ev[0].Reason != "refresh_reuse" || ev[0].AccountID != p1.Account.ID {
		t.Fatalf("OnEnded got %+v, want one refresh_reuse of %s", ev, sid)
	}
	// The legitimate newest pair dies with the session.
	_, err = e.svc.VerifyAccess(p3.Access.Token)
	wantCode(t, "newest access after reuse", err, wire.CodeTokenRevoked)
	_, err = e.svc.Refresh(ctx, p3.Refresh.Token)
	wantCode(t, "newest refresh after reuse", err, wire.CodeTokenRevoked)
	_, err = e.svc.VerifyAccess(p1.Access.Token)
	wantCode(t, "first access after reuse", err, wire.CodeTokenRevoked)
	if n := len(e.endedEvents()); n != 1 {
		t.Errorf("OnEnded called %d times, want once per ended session", n)
	}

	// Other sessions of the account are untouched, and so is a restart's view.
	q := e.login("alice", "correct horse")
	if _, err := e.svc.Refresh(ctx, q.Refresh.Token); err != nil {
		t.Errorf("another session: %v", err)
	}
	e.open(cheap)
	_, err = e.svc.VerifyAccess(p3.Access.Token)
	wantCode(t, "newest access after a restart", err, wire.CodeTokenRevoked)
	_, err = e.svc.Refresh(ctx, p3.Refresh.Token)
	wantCode(t, "newest refresh after a restart", err, wire.CodeTokenRevoked)
}

func TestConcurrentRefreshesOfOneTokenLetOneThrough(t *testing.T) {
	e := newEnv(t, cheap)
	e.register("alice", "correct horse")
	p := e.login("alice", "correct horse")
	const n = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range n {
		wg.Go(func() {
			if _, err := e.svc.Refresh(context.Background(), p.Refresh.Token); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			} else if wire.ErrorCode(err) != wire.CodeTokenRevoked {
				t.Errorf("refresh: %v", err)
			}
		})
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d of %d concurrent refreshes of one token succeeded, want exactly 1", ok, n)
	}
}

func TestLogoutEndsTheSessionOnly(t *testing.T) {
	e := newEnv(t, cheap)
	ctx := context.Background()
	e.register("alice", "correct horse")
	p := e.login("alice", "correct horse")
	other := e.login("alice", "correct horse")
	c, err := e.svc.VerifyAccess(p.Access.Token)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Logout(ctx, c); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.VerifyAccess(p.Access.Token)
	wantCode(t, "access after logout", err, wire.CodeTokenRevoked)
	_, err = e.svc.Refresh(ctx, p.Refresh.Token)
	wantCode(t, "refresh after logout", err, wire.CodeTokenRevoked)
	if ev := e.endedEvents(); len(ev) != 1 || ev[0].Reason != "logout" || ev[0].SessionID != c.SID {
		t.Errorf("OnEnded got %+v", ev)
	}
	if _, err := e.svc.VerifyAccess(other.Access.Token); err != nil {
		t.Errorf("the account's other session: %v", err)
	}
	// A second logout with the same claims is harmless and tells no one again.
	if err := e.svc.Logout(ctx, c); err != nil {
		t.Errorf("second logout: %v", err)
	}
	if n := len(e.endedEvents()); n != 1 {
		t.Errorf("OnEnded called %d times", n)
	}
}

func TestBanAndUnban(t *testing.T) {
	e := newEnv(t, cheap)
	ctx := context.Background()
	a := e.register("mallory", "correct horse")
	p1 := e.login("mallory", "correct horse")
	p2 := e.login("mallory", "correct horse")
	if _, err := e.svc.SetBanned(ctx, "Mallory", true); err != nil {
		t.Fatal(err)
	}
	for _, p := range []auth.Pair{p1, p2} {
		_, err := e.svc.VerifyAccess(p.Access.Token)
		wantCode(t, "access of a banned account", err, wire.CodeAccountDisabled)
		_, err = e.svc.Refresh(ctx, p.Refresh.Token)
		wantCode(t, "refresh of a banned account", err, wire.CodeAccountDisabled)
	}
	_, err := e.svc.Login(ctx, "mallory", "correct horse")
	wantCode(t, "login with the right password", err, wire.CodeAccountDisabled)
	_, err = e.svc.Login(ctx, "mallory", "wrong horse")
	wantCode(t, "login with a wrong password", err, wire.CodeInvalidCredentials)
	if ev := e.endedEvents(); len(ev) != 1 || ev[0].Reason != "ban" || ev[0].AccountID != a.ID || ev[0].SessionID != "" {
		t.Errorf("OnEnded got %+v, want one ban of the account", ev)
	}
	// Held across a restart.
	e.open(cheap)
	_, err = e.svc.VerifyAccess(p1.Access.Token)
	wantCode(t, "access after a restart", err, wire.CodeAccountDisabled)

	if _, err := e.svc.SetBanned(ctx, "mallory", false); err != nil {
		t.Fatal(err)
	}
	q := e.login("mallory", "correct horse")
	if _, err := e.svc.VerifyAccess(q.Access.Token); err != nil {
		t.Errorf("a new login after unban: %v", err)
	}
	// What the ban ended stays ended.
	for _, p := range []auth.Pair{p1, p2} {
		_, err := e.svc.VerifyAccess(p.Access.Token)
		wantCode(t, "old access after unban", err, wire.CodeTokenRevoked)
		_, err = e.svc.Refresh(ctx, p.Refresh.Token)
		wantCode(t, "old refresh after unban", err, wire.CodeTokenRevoked)
	}
	_, err = e.svc.SetBanned(ctx, "nobody", true)
	wantCode(t, "ban of an unknown name", err, wire.CodeNotFound)
}

// TestExpiredRevocationsArePurged steps the clock past each horizon: an ended session is held
// until its last access token expires, in the index and the store, and not a second less.
func TestExpiredRevocationsArePurged(t *testing.T) {
	e := newEnv(t, cheap)
	ctx := context.Background()
	e.register("alice", "correct horse")
	p := e.login("alice", "correct horse")
	c, _ := e.svc.VerifyAccess(p.Access.Token)
	if err := e.svc.Logout(ctx, c); err != nil {
		t.Fatal(err)
	}
	e.register("mallory", "correct horse")
	e.login("mallory", "correct horse")
	if _, err := e.svc.SetBanned(ctx, "mallory", true); err != nil {
		t.Fatal(err)
	}
	want := auth.IndexSize{Sessions: 2, Tokens: 1, Disabled: 1}
	if got := e.svc.Index.Size(); got != want {
		t.Fatalf("index before = %+v, want %+v", got, want)
	}

	// Just inside the horizon: nothing may go; the logged-out token is still refused, also by
	// a service restarted now.
	e.clk.Step(accessTTL + auth.Leeway - time.Second)
	if err := e.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.svc.Index.Size(); got != want {
		t.Fatalf("index just inside the horizon = %+v, want %+v", got, want)
	}
	e.open(cheap)
	if got := e.svc.Index.Size(); got != want {
		t.Fatalf("index reloaded just inside the horizon = %+v, want %+v", got, want)
	}

	// Past it: the entries go from memory and from the store; the ban stays.
	e.clk.Step(2 * time.Second)
	if err := e.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	want = auth.IndexSize{Disabled: 1}
	if got := e.svc.Index.Size(); got != want {
		t.Errorf("index after the horizon = %+v, want %+v", got, want)
	}
	r, err := e.db.LoadRevoked(ctx, e.clk.Now().Add(-time.Hour*1000))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Tokens) != 0 || len(r.Sessions) != 2 || len(r.Disabled) != 1 {
		t.Errorf("store after the access horizon: %d tokens, %d ended sessions, %d disabled; want 0, 2 (held to refresh expiry), 1", len(r.Tokens), len(r.Sessions), len(r.Disabled))
	}
	// The ended sessions' refresh tokens are still refused by the store alone.
	_, err = e.svc.Refresh(ctx, p.Refresh.Token)
	wantCode(t, "refresh of a logged-out session after the purge", err, wire.CodeTokenRevoked)

	// Past the refresh expiry the session rows go too.
	e.clk.Step(refreshTTL)
	if err := e.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.db.SessionCount(ctx); n != 0 {
		t.Errorf("%d session rows after every refresh expired, want 0", n)
	}
}

func TestRegisterValidates(t *testing.T) {
	e := newEnv(t, cheap)
	ctx := context.Background()
	cases := []struct {
		name, user, pass, code string
	}{
		{"shortest name", "abc", "12345678", ""},
		{"longest name", strings.Repeat("a", 32), "12345678", ""},
		{"name with _ and -", "a_b-C9", "12345678", ""},
		{"name too short", "ab", "12345678", wire.CodeInvalidRequest},
		{"name too long", strings.Repeat("b", 33), "12345678", wire.CodeInvalidRequest},
		{"name with a space", "a b c", "12345678", wire.CodeInvalidRequest},
		{"name with a dot", "a.bc", "12345678", wire.CodeInvalidRequest},
		{"name not ASCII", "héllo", "12345678", wire.CodeInvalidRequest},
		{"password too short", "dave", "1234567", wire.CodeInvalidRequest},
		{"password of 8 runes, 16 bytes", "erin", "éééééééé", ""},
		{"password of 128", "frank", strings.Repeat("p", 128), ""},
		{"password of 129", "grace", strings.Repeat("p", 129), wire.CodeInvalidRequest},
		{"taken name", "abc", "12345678", wire.CodeUsernameTaken},
		{"taken name in other letter case", "ABC", "12345678", wire.CodeUsernameTaken},
	}
	for _, c := range cases {
		_, err := e.svc.Register(ctx, c.user, c.pass, false)
		wantCode(t, c.name, err, c.code)
	}
	// Login is case-insensitive on the name and keeps the registered spelling.
	p := e.login("A_B-c9", "12345678")
	if p.Account.Username != "a_b-C9" {
		t.Errorf("username = %q", p.Account.Username)
	}
	_, err := e.svc.Login(ctx, "", "12345678")
	wantCode(t, "login without a name", err, wire.CodeInvalidRequest)
	_, err = e.svc.Login(ctx, "abc", "")
	wantCode(t, "login without a password", err, wire.CodeInvalidRequest)
	_, err = e.svc.Login(ctx, strings.Repeat("x", 65), "12345678")
	wantCode(t, "login with a huge name", err, wire.CodeInvalidCredentials)
}

func TestUnknownUserFailsLikeAWrongPassword(t *testing.T) {
	e := newEnv(t, cheap)
	ctx := context.Background()
	e.register("alice", "correct horse")
	_, wrong := e.svc.Login(ctx, "alice", "wrong horse")
	_, unknown := e.svc.Login(ctx, "nobody", "wrong horse")
	if wrong != auth.ErrInvalidCredentials || unknown != auth.ErrInvalidCredentials {
		t.Fatalf("wrong password: %v; unknown user: %v; want both ErrInvalidCredentials", wrong, unknown)
	}
}

func TestGuests(t *testing.T) {
	e := newEnv(t, cheap)
	ctx := context.Background()
	p, err := e.svc.Guest(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.Account.Username, "guest-") || !p.Account.Guest || !auth.ValidUsername(p.Account.Username) {
		t.Errorf("guest account = %+v", p.Account)
	}
	q, err := e.svc.Guest(ctx, "Zed")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(q.Account.Username, "Zed-") || q.Account.ID == p.Account.ID {
		t.Errorf("named guest = %+v", q.Account)
	}
	if _, err := e.svc.Refresh(ctx, q.Refresh.Token); err != nil {
		t.Errorf("guest refresh: %v", err)
	}
	// A guest has no password: no password signs it in, not even an empty hash's.
	_, err = e.svc.Login(ctx, q.Account.Username, "anything at all")
	wantCode(t, "password login of a guest", err, wire.CodeInvalidCredentials)
	for _, bad := range []string{"a b", strings.Repeat("n", 25), "ü"} {
		_, err := e.svc.Guest(ctx, bad)
		wantCode(t, "guest named "+bad, err, wire.CodeInvalidRequest)
	}
}

// TestRaisedCostRehashesOnLogin: hashes keep their parameters, so raising the cost later leaves
// old hashes working and upgrades each at its owner's next login.
func TestRaisedCostRehashesOnLogin(t *testing.T) {
	e := newEnv(t, cheap)
	ctx := context.Background()
	e.register("alice", "correct horse")
	_, old, err := e.db.AccountByName(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	higher := cheap
	higher.Memory, higher.Time = 128, 2
	e.svc.Hasher = auth.NewHasher(higher, auth.HashLimits{Concurrency: 1})
	e.login("alice", "correct horse")
	_, fresh, _ := e.db.AccountByName(ctx, "alice")
	if fresh == old || !strings.Contains(fresh, "m=128,t=2,p=1") {
		t.Fatalf("hash after login at a higher cost = %q (was %q)", fresh, old)
	}
	e.login("alice", "correct horse")
	_, again, _ := e.db.AccountByName(ctx, "alice")
	if again != fresh {
		t.Errorf("a hash at the current cost was rehashed")
	}
}

func TestDeadlineDoesNotLeaveHalfASession(t *testing.T) {
	e := newEnv(t, cheap)
	e.register("alice", "correct horse")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.svc.Login(ctx, "alice", "correct horse"); err == nil {
		t.Fatal("a login with a cancelled context succeeded")
	}
	if n := e.db.SessionCount(context.Background()); n != 0 {
		t.Errorf("%d sessions after a cancelled login", n)
	}
}

// TestLoginCatchesUpWithAnUnbanElsewhere: another process (tickwire user unban) unbans an
// account the server's index holds as banned; the next login's tokens are accepted at once.
func TestLoginCatchesUpWithAnUnbanElsewhere(t *testing.T) {
	e := newEnv(t, cheap)
	ctx := context.Background()
	e.register("alice", "correct horse")
	if _, err := e.svc.SetBanned(ctx, "alice", true); err != nil {
		t.Fatal(err)
	}
	cli := &env{t: t, dir: e.dir, clk: e.clk}
	cli.open(cheap)
	if _, err := cli.svc.SetBanned(ctx, "alice", false); err != nil {
		t.Fatal(err)
	}
	p := e.login("alice", "correct horse")
	if _, err := e.svc.VerifyAccess(p.Access.Token); err != nil {
		t.Errorf("a token after an unban elsewhere: %v", err)
	}
}

// TestEnableSinceKeepsBansMadeDuringTheRead: a login whose store read predates a ban in this
// process must not undo the ban.
func TestEnableSinceKeepsBansMadeDuringTheRead(t *testing.T) {
	x := auth.NewIndex(auth.Revoked{})
	gen := x.Gen()
	x.SetDisabled("acct", true) // committed after the login's read
	x.EnableSince("acct", gen)
	if !x.Disabled("acct") {
		t.Fatal("a stale read undid a ban")
	}
	x.EnableSince("acct", x.Gen())
	if x.Disabled("acct") {
		t.Fatal("a fresh read showing the account enabled was not taken")
	}
}

// TestRotateRefreshPastMaxAge: with SessionMaxAge set, a refresh token is refused once its
// session is that old, even inside the clock leeway its own exp allows, and the session's
// store row is left as it was (the refresh token could not rotate).
func TestRotateRefreshPastMaxAge(t *testing.T) {
	e := newEnv(t, cheap)
	e.svc.SessionMaxAge = time.Hour
	e.register("alice", "correct horse")
	p := e.login("alice", "correct horse")
	ctx := context.Background()
	e.clk.Step(59 * time.Minute)
	q, err := e.svc.Refresh(ctx, p.Refresh.Token)
	wantCode(t, "refresh before the end", err, "")
	if err != nil {
		t.FailNow()
	}
	if end := p.Access.Claims.IssuedAt.Add(time.Hour); q.Access.Claims.ExpiresAt.After(end) || !q.Refresh.Claims.ExpiresAt.Equal(end) {
		t.Errorf("tokens at 59 min expire at %v and %v, want by %v", q.Access.Claims.ExpiresAt, q.Refresh.Claims.ExpiresAt, end)
	}
	e.clk.Step(time.Minute + time.Second)
	_, err = e.svc.Refresh(ctx, q.Refresh.Token)
	wantCode(t, "refresh past the end, inside the leeway", err, wire.CodeTokenExpired)
	if len(e.endedEvents()) != 0 {
		t.Errorf("an aged-out refresh counted as reuse: %v", e.endedEvents())
	}
}
