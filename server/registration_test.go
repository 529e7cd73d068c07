package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// steppedClock is a clock a test moves by hand.
type steppedClock struct{ offset atomic.Int64 }

func (c *steppedClock) Now() time.Time             { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *steppedClock) Step(d time.Duration)       { c.offset.Add(int64(d)) }
func (c *steppedClock) install(cfg *server.Config) { cfg.Now = c.Now }

func addAdmin(t *testing.T, data, name string) {
	t.Helper()
	if code, _, errOut := servertest.RunMain(t, "admin password\n", "user", "add", "--admin", "--data", data, name); code != 0 {
		t.Fatalf("user add --admin: %d %s", code, errOut)
	}
}

func TestRegistrationClosed(t *testing.T) {
	data := t.TempDir()
	srv := servertest.Start(t, func(c *server.Config) { c.Data, c.Registration = data, server.RegistrationClosed })
	base := srv.URL()
	st, body, _ := servertest.Call(t, nil, "POST", base+"/api/v1/auth/register", "", map[string]string{"username": "newcomer", "password": "correct horse"})
	if st != http.StatusForbidden || body["error"] != wire.CodeRegistrationClosed {
		t.Fatalf("register on a closed server: %d %v", st, body)
	}
	st, body, _ = servertest.Call(t, nil, "POST", base+"/api/v1/auth/guest", "", map[string]string{})
	if st != http.StatusForbidden || body["error"] != wire.CodeRegistrationClosed {
		t.Fatalf("guest on a closed server: %d %v", st, body)
	}
	// The admin's command still makes accounts, and they log in.
	if code, _, errOut := servertest.RunMain(t, "correct horse\n", "user", "add", "--data", data, "member"); code != 0 {
		t.Fatalf("user add: %s", errOut)
	}
	servertest.Login(t, nil, base, "member", "correct horse")
}

func TestRegistrationByInvite(t *testing.T) {
	data := t.TempDir()
	addAdmin(t, data, "boss")
	var clock steppedClock
	srv := servertest.Start(t, func(c *server.Config) {
		c.Data, c.Registration = data, server.RegistrationInvite
		clock.install(c)
	})
	base := srv.URL()
	adminTok, _ := servertest.Login(t, nil, base, "boss", "admin password")
	register := func(name, password, invite string) (int, map[string]any) {
		body := map[string]string{"username": name, "password": password}
		if invite != "" {
			body["invite"] = invite
		}
		st, b, _ := servertest.Call(t, nil, "POST", base+"/api/v1/auth/register", "", body)
		return st, b
	}
	mkInvite := func(t *testing.T, body map[string]any) string {
		t.Helper()
		st, b, _ := servertest.Call(t, nil, "POST", base+"/api/v1/admin/invites", adminTok, body)
		servertest.MustStatus(t, "create invite", st, http.StatusCreated, b)
		return b["code"].(string)
	}

	t.Run("no invite, no account", func(t *testing.T) {
		st, b := register("noinvite", "correct horse", "")
		if st != http.StatusForbidden || b["error"] != wire.CodeInviteRequired {
			t.Fatalf("%d %v", st, b)
		}
		st, b = register("badinvite", "correct horse", "NOTACODE")
		if st != http.StatusForbidden || b["error"] != wire.CodeInviteInvalid {
			t.Fatalf("%d %v", st, b)
		}
		st, b, _ = servertest.Call(t, nil, "POST", base+"/api/v1/auth/guest", "", map[string]string{})
		if st != http.StatusForbidden {
			t.Fatalf("guest in invite mode: %d %v", st, b)
		}
	})

	t.Run("a player cannot make invites", func(t *testing.T) {
		code := mkInvite(t, nil)
		st, b := register("player1", "correct horse", code)
		servertest.MustStatus(t, "register with invite", st, http.StatusCreated, b)
		tok, _ := servertest.Login(t, nil, base, "player1", "correct horse")
		st, b, _ = servertest.Call(t, nil, "POST", base+"/api/v1/admin/invites", tok, nil)
		if st != http.StatusForbidden {
			t.Fatalf("a player made an invite: %d %v", st, b)
		}
	})

	t.Run("a one-use invite works once", func(t *testing.T) {
		code := mkInvite(t, map[string]any{"note": "for Sam"})
		st, b := register("sam", "correct horse", code)
		servertest.MustStatus(t, "first use", st, http.StatusCreated, b)
		st, b = register("sam2", "correct horse", code)
		if st != http.StatusForbidden || b["error"] != wire.CodeInviteInvalid {
			t.Fatalf("second use: %d %v", st, b)
		}
	})

	t.Run("a failed registration gives the use back", func(t *testing.T) {
		code := mkInvite(t, nil)
		st, _ := register("shortpw", "short", code)
		if st != http.StatusBadRequest {
			t.Fatalf("a short password: %d", st)
		}
		st, _ = register("sam", "correct horse", code) // taken name
		if st != http.StatusConflict {
			t.Fatalf("a taken name: %d", st)
		}
		st, b := register("sam3", "correct horse", code)
		servertest.MustStatus(t, "after two failures", st, http.StatusCreated, b)
	})

	t.Run("concurrent uses never exceed the limit", func(t *testing.T) {
		code := mkInvite(t, map[string]any{"uses": 3})
		var ok atomic.Int32
		var wg sync.WaitGroup
		for i := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if st, _ := register(fmt.Sprintf("rush%d", i), "correct horse", code); st == http.StatusCreated {
					ok.Add(1)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 3 {
			t.Fatalf("%d registrations on a 3-use invite", ok.Load())
		}
	})

	t.Run("bad invite requests are refused", func(t *testing.T) {
		for _, body := range []map[string]any{{"uses": 0}, {"uses": 1001}, {"expires_in": 10}, {"expires_in": 1 << 62}, {"note": strings.Repeat("x", 201)}} {
			st, b, _ := servertest.Call(t, nil, "POST", base+"/api/v1/admin/invites", adminTok, body)
			if st != http.StatusBadRequest {
				t.Errorf("%v: %d %v", body, st, b)
			}
		}
	})

	t.Run("list and revoke through the API", func(t *testing.T) {
		code := mkInvite(t, map[string]any{"uses": 2, "note": "club"})
		st, b, _ := servertest.Call(t, nil, "GET", base+"/api/v1/admin/invites", adminTok, nil)
		servertest.MustStatus(t, "list", st, http.StatusOK, b)
		found := false
		for _, inv := range b["invites"].([]any) {
			m := inv.(map[string]any)
			if m["code"] == code && m["max_uses"] == float64(2) && m["note"] == "club" && m["created_by"] == "boss" {
				found = true
			}
		}
		if !found {
			t.Fatalf("the new invite is not listed: %v", b)
		}
		st, b, _ = servertest.Call(t, nil, "POST", base+"/api/v1/admin/invites/revoke", adminTok, map[string]string{"code": code})
		servertest.MustStatus(t, "revoke", st, http.StatusNoContent, b)
		if st, _ := register("revoked", "correct horse", code); st != http.StatusForbidden {
			t.Fatalf("a revoked invite still works: %d", st)
		}
		st, _, _ = servertest.Call(t, nil, "POST", base+"/api/v1/admin/invites/revoke", adminTok, map[string]string{"code": code})
		if st != http.StatusNotFound {
			t.Fatalf("revoking twice: %d", st)
		}
	})

	t.Run("the invites command works on a running server", func(t *testing.T) {
		code, out, errOut := servertest.RunMain(t, "", "invites", "create", "--data", data, "--uses", "2", "--note", "from the shell")
		if code != 0 {
			t.Fatalf("invites create: %d %s", code, errOut)
		}
		inv := strings.TrimSpace(out)
		st, b := register("shelluser", "correct horse", inv)
		servertest.MustStatus(t, "register with a CLI invite", st, http.StatusCreated, b)
		code, out, _ = servertest.RunMain(t, "", "invites", "list", "--data", data)
		if code != 0 || !strings.Contains(out, inv+"\tuses 1/2") || !strings.Contains(out, "from the shell") {
			t.Fatalf("invites list: %d %q", code, out)
		}
		if code, _, _ := servertest.RunMain(t, "", "invites", "revoke", "--data", data, inv); code != 0 {
			t.Fatal("invites revoke failed")
		}
		if st, _ := register("shelluser2", "correct horse", inv); st != http.StatusForbidden {
			t.Fatalf("a revoked CLI invite still works: %d", st)
		}
		for _, bad := range [][]string{{"invites", "create", "--uses", "0"}, {"invites", "create", "--ttl", "1s"}, {"invites", "revoke"}, {"invites", "frobnicate"}} {
			if code, _, _ := servertest.RunMain(t, "", append(bad, "--data", data)...); code != 2 {
				t.Errorf("%v: exit %d, want 2", bad, code)
			}
		}
	})

	t.Run("an invite expires", func(t *testing.T) {
		code := mkInvite(t, map[string]any{"expires_in": 3600})
		clock.Step(61 * time.Minute) // last: this expires the admin's token too
		st, b := register("toolate", "correct horse", code)
		if st != http.StatusForbidden || b["error"] != wire.CodeInviteInvalid {
			t.Fatalf("expired invite: %d %v", st, b)
		}
	})
}
