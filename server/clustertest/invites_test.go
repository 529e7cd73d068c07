package clustertest_test

import (
	"strings"
	"testing"

	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/clustertest"
	"github.com/tickwire/tickwire/server/servertest"
)

// Invites made with `tickwire invites` on the database node's data folder sign players up
// through a game node as through the database node itself.
func TestInvitesFromTheCLISignUpThroughAGameNode(t *testing.T) {
	prefix := clustertest.Prefix(t)
	db := clustertest.Node(t, prefix, "db", func(c *server.Config) { c.Registration = server.RegistrationInvite })
	g := clustertest.Node(t, prefix, "game-1", func(c *server.Config) { c.Role = server.RoleGame })
	invite := func(note string) string {
		t.Helper()
		code, out, errOut := servertest.RunMain(t, "", "invites", "create", "--data", db.Config.Data, "--uses", "1", "--note", note)
		if code != 0 {
			t.Fatalf("invites create: %d %s", code, errOut)
		}
		return strings.TrimSpace(out)
	}
	sides := []*side{{name: "db", base: db.URL(), ip: "127.0.0.1"}, {name: "game", base: g.URL(), ip: "127.0.0.1"}}
	for _, s := range sides {
		s.c = servertest.NewClient(t, s.base, "")
		s.user, s.invite = "inv_"+s.name, invite("for "+s.name)
	}
	const pw = "correct horse"
	steps := []step{
		{"register without an invite", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/auth/register", "", map[string]string{"username": s.user, "password": pw})
		}},
		{"register with an unknown invite", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/auth/register", "", map[string]string{"username": s.user, "password": pw, "invite": "NOSUCHCODE"})
		}},
		{"register a bad name spends no use", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/auth/register", "", map[string]string{"username": "x", "password": pw, "invite": s.invite})
		}},
		{"register with the invite", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/auth/register", "", map[string]string{"username": s.user, "password": pw, "invite": s.invite})
		}},
		{"register with the used invite", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/auth/register", "", map[string]string{"username": s.user + "2", "password": pw, "invite": s.invite})
		}},
		{"login of the invited account", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": s.user, "password": pw})
		}},
		{"guest where only members play", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/auth/guest", "", map[string]string{})
		}},
	}
	for _, st := range steps {
		var replies []servertest.Reply
		for _, s := range sides {
			replies = append(replies, st.do(t, s))
		}
		sameAnswer(t, st.name, sides, replies)
	}
	if code, out, _ := servertest.RunMain(t, "", "invites", "list", "--data", db.Config.Data); code != 0 || strings.Contains(out, sides[1].invite) {
		t.Errorf("invites list after the game node's sign-up: %d %q, want the used code gone", code, out)
	}
}
