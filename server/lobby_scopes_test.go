package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// wantForbidden sends typ on ws and checks it is refused forbidden for want of the host scope.
func wantForbidden(t *testing.T, ws *websocket.Conn, typ string, id uint64, payload any) {
	t.Helper()
	servertest.WriteEnvelope(t, ws, typ, id, payload)
	var e wire.Error
	servertest.DecodePayload(t, expectFrame(t, ws, wire.TypeError, id), &e)
	if e.Code != wire.CodeForbidden || !strings.Contains(e.Message, "host scope") {
		t.Fatalf("%s without the host scope: %+v, want forbidden", typ, e)
	}
}

// TestCreateStartAndKickNeedTheHostScope: a token without scope host plays, but cannot create
// a lobby, start a round or kick, even in a lobby it is the host of; the scope a socket has is
// the one of its latest token, so a reauth takes it away and gives it back.
func TestCreateStartAndKickNeedTheHostScope(t *testing.T) {
	srv := servertest.Start(t, nil, servertest.Metrics)
	full := srv.Guest(t, "ann")
	if s := servertest.Claims(t, full.AccessToken).Scope; s != "play host" {
		t.Fatalf("a guest's scope is %q, want play host", s)
	}
	playOnly := srv.Mint(t, full.AccessToken, time.Now(), 10*time.Minute, "play")

	// A socket opened with a play-only token cannot create, but can join and play.
	ws := srv.Dial(t, playOnly)
	wantForbidden(t, ws, wire.TypeCreate, 1, wire.Create{Name: "mine"})
	other := srv.Dial(t, srv.Guest(t, "bob").AccessToken)
	servertest.WriteEnvelope(t, other, wire.TypeCreate, 1, wire.Create{Name: "bob's"})
	var bobs wire.Joined
	servertest.DecodePayload(t, expectFrame(t, other, wire.TypeJoined, 1), &bobs)
	servertest.WriteEnvelope(t, ws, wire.TypeJoin, 2, wire.Join{Lobby: bobs.Lobby.ID})
	expectFrame(t, ws, wire.TypeJoined, 2)
	servertest.WriteEnvelope(t, ws, wire.TypeLeave, 3, nil)
	expectFrame(t, ws, wire.TypeLeft, 3)

	// The host of a lobby whose token loses the scope (a reauth with a play-only token) can no
	// longer start or kick there; a token with it again restores both.
	host := srv.Dial(t, full.AccessToken)
	servertest.WriteEnvelope(t, host, wire.TypeCreate, 1, wire.Create{Name: "den"})
	var den wire.Joined
	servertest.DecodePayload(t, expectFrame(t, host, wire.TypeJoined, 1), &den)
	guest := srv.Dial(t, srv.Guest(t, "cy").AccessToken)
	servertest.WriteEnvelope(t, guest, wire.TypeJoin, 1, wire.Join{Lobby: den.Lobby.ID})
	var in wire.Joined
	servertest.DecodePayload(t, expectFrame(t, guest, wire.TypeJoined, 1), &in)

	servertest.WriteEnvelope(t, host, wire.TypeReauth, 2, wire.Reauth{Token: playOnly})
	expectFrame(t, host, wire.TypeReauthOK, 2)
	wantForbidden(t, host, wire.TypeStart, 3, nil)
	wantForbidden(t, host, wire.TypeKick, 4, wire.Kick{Player: in.Player})

	servertest.WriteEnvelope(t, host, wire.TypeReauth, 5, wire.Reauth{Token: srv.Mint(t, full.AccessToken, time.Now(), 10*time.Minute, "play host")})
	expectFrame(t, host, wire.TypeReauthOK, 5)
	servertest.WriteEnvelope(t, host, wire.TypeKick, 6, wire.Kick{Player: in.Player})
	expectFrame(t, host, wire.TypeOK, 6)
	servertest.WriteEnvelope(t, host, wire.TypeStart, 7, nil)
	expectFrame(t, host, wire.TypeOK, 7)
}

// TestGuestScopesSetting: --guest-scopes play makes guests that play but do not host; the
// default gives them host too, and a value that is not a guest scope is refused.
func TestGuestScopesSetting(t *testing.T) {
	srv := servertest.Start(t, func(c *server.Config) { c.GuestScopes = []string{"play"} }, servertest.Metrics)
	tok := srv.Guest(t, "visitor")
	h := servertest.NewClient(t, srv.URL(), "")
	var me struct{ Scopes []string }
	h.Do("GET", "/api/v1/me", tok.AccessToken, nil).Decode(t, &me)
	if strings.Join(me.Scopes, " ") != "play" || servertest.Claims(t, tok.AccessToken).Scope != "play" {
		t.Fatalf("a guest under --guest-scopes play: /me %v, token %q", me.Scopes, servertest.Claims(t, tok.AccessToken).Scope)
	}
	ws := srv.Dial(t, tok.AccessToken)
	wantForbidden(t, ws, wire.TypeCreate, 1, wire.Create{})
	// Quick join needs no host: its lobbies have none.
	servertest.WriteEnvelope(t, ws, wire.TypeJoin, 2, wire.Join{Quick: true})
	expectFrame(t, ws, wire.TypeJoined, 2)

	if d := server.DefaultConfig().GuestScopes; strings.Join(d, " ") != "play host" {
		t.Errorf("default --guest-scopes = %v, want play host", d)
	}
	for _, v := range []string{"play,host", "play host", "play"} {
		if _, _, err := server.ParseConfig("serve", []string{"--guest-scopes", v}, func(string) string { return "" }, nil); err != nil {
			t.Errorf("--guest-scopes %q: %v", v, err)
		}
	}
	for _, v := range []string{"host", "play,admin", "", "play,bogus"} {
		_, _, err := server.ParseConfig("serve", []string{"--guest-scopes", v}, func(string) string { return "" }, nil)
		if err == nil || !strings.Contains(err.Error(), "--guest-scopes") {
			t.Errorf("--guest-scopes %q: %v, want refused naming the flag", v, err)
		}
	}
}

// TestUserScopesWithholdsHost: `tickwire user scopes NAME play` takes host from an account: its
// next login carries play alone and cannot create a lobby; giving it back restores that.
func TestUserScopesWithholdsHost(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return servertest.RunMain(t, "correct horse\n", append([]string{args[0], args[1], "--data", dir}, args[2:]...)...)
	}
	if code, out, errs := run("user", "add", "alice"); code != 0 || !strings.Contains(out, "scopes play host") {
		t.Fatalf("user add: %d %q %q", code, out, errs)
	}
	if code, out, errs := run("user", "scopes", "alice", "play"); code != 0 || !strings.Contains(out, "alice now has scopes play;") {
		t.Fatalf("user scopes alice play: %d %q %q", code, out, errs)
	}
	for _, c := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"user", "scopes", "alice"}, 2, "NAME and its SCOPES"},
		{[]string{"user", "scopes", "alice", "play,root"}, 2, `"root" is not a scope`},
		{[]string{"user", "scopes", "alice", ","}, 2, "at least one scope"},
		{[]string{"user", "scopes", "nobody", "play"}, 1, "not_found"},
	} {
		code, _, stderr := run(c.args...)
		if code != c.code || !strings.Contains(stderr, c.stderr) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want %d and one line with %q", c.args, code, stderr, c.code, c.stderr)
		}
	}

	srv := servertest.Start(t, func(c *server.Config) { c.Data = dir }, servertest.Metrics)
	h := servertest.NewClient(t, srv.URL(), "")
	p := h.Login("alice", "correct horse")
	if s := servertest.Claims(t, p.AccessToken).Scope; s != "play" {
		t.Fatalf("alice's token after user scopes play: %q", s)
	}
	wantForbidden(t, srv.Dial(t, p.AccessToken), wire.TypeCreate, 1, wire.Create{})

	if code, _, errs := run("user", "scopes", "alice", "play,host"); code != 0 {
		t.Fatalf("user scopes alice play,host: %d %q", code, errs)
	}
	// A refresh reads the account again: the new pair carries host.
	var again struct {
		AccessToken string `json:"access_token"`
	}
	h.Do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": p.RefreshToken}).Decode(t, &again)
	if s := servertest.Claims(t, again.AccessToken).Scope; s != "play host" {
		t.Fatalf("alice's refreshed token after user scopes play,host: %q", s)
	}
	ws := srv.Dial(t, again.AccessToken)
	servertest.WriteEnvelope(t, ws, wire.TypeCreate, 1, wire.Create{})
	expectFrame(t, ws, wire.TypeJoined, 1)
}
