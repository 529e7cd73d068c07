package clustertest_test

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/auth/oidc"
	"github.com/tickwire/tickwire/auth/oidc/oidctest"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/clustertest"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// This file walks the whole HTTP API through a game node and asks the database node the same
// of itself, step by step: a game node must answer every route as the database node does.

const oidcSecret = "cluster-client-secret"

// freeAddr is a loopback address free a moment ago, for a node whose --public-url must be
// known before it starts.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestTheWholeAPIThroughAGameNodeAnswersAsTheDatabaseNode(t *testing.T) {
	prefix := clustertest.Prefix(t)
	provider, err := oidctest.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { provider.Close() })
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		provider.AddUser(oidctest.User{Subject: "sub-" + u, Username: u, Password: u + "-pw", PreferredUsername: u})
	}
	proxies := []*net.IPNet{{IP: net.IPv4(127, 0, 0, 0), Mask: net.CIDRMask(8, 32)}}
	dbAddr, gAddr := freeAddr(t), freeAddr(t)
	db := clustertest.Node(t, prefix, "db", func(c *server.Config) {
		c.Addr, c.PublicURL = dbAddr, "http://"+dbAddr
		c.TrustedProxies = proxies
		c.GuestAddrBurst, c.LoginAddrBurst, c.RegisterAddrBurst, c.OIDCAddrBurst = 12, 6, 10, 6
		c.OIDC = []oidc.Config{{Name: "test", DisplayName: "Test ID", Issuer: provider.Issuer, ClientID: "tickwire", ClientSecret: oidcSecret}}
	})
	g := clustertest.Node(t, prefix, "game-1", func(c *server.Config) {
		c.Addr, c.PublicURL = gAddr, "http://"+gAddr
		c.TrustedProxies = proxies
		c.Role = server.RoleGame
	})
	provider.AddClient("tickwire", oidcSecret, db.URL()+"/api/v1/auth/oidc/test/callback", g.URL()+"/api/v1/auth/oidc/test/callback")
	if code, _, errOut := servertest.RunMain(t, "admin password\n", "user", "add", "--admin", "--data", db.Config.Data, "root"); code != 0 {
		t.Fatalf("user add --admin: %d %s", code, errOut)
	}

	// A public lobby on the game node, so that both lists have one to show.
	host := g.Dial(t, g.Guest(t, "host").AccessToken)
	servertest.WriteEnvelope(t, host, wire.TypeCreate, 1, wire.Create{Name: "walk"})
	if env := servertest.ReadEnvelope(t, host); env.T != wire.TypeJoined {
		t.Fatalf("create: %s", env.T)
	}
	lister := db.Guest(t, "lister").AccessToken
	servertest.Eventually(t, 5*time.Second, "the game node's lobby on the database node's list", func() bool {
		return listed(t, db.URL(), lister)["walk"] == "game-1"
	})

	sides := []*side{
		{name: "db", base: db.URL(), ip: "198.51.100.1", user: "ann_db", target: "tim_db"},
		{name: "game", base: g.URL(), ip: "198.51.100.2", user: "ann_game", target: "tim_game"},
	}
	for _, s := range sides {
		s.asked = map[string]bool{}
		s.c = servertest.NewClient(t, s.base, "")
		s.c.HTTP.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		s.c.HTTP.Transport = &asking{next: s.c.HTTP.Transport, s: s}
		s.browser = newBrowser(t, s, []string{db.URL(), g.URL()})
	}
	const pw = "correct horse"
	evil := "http://evil.example"
	steps := []step{
		{"GET /healthz", func(t *testing.T, s *side) servertest.Reply { return s.call(t, "GET", "/healthz", "", nil) }},
		{"GET /readyz", func(t *testing.T, s *side) servertest.Reply { return s.call(t, "GET", "/readyz", "", nil) }},
		{"GET jwks", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "GET", "/.well-known/jwks.json", "", nil)
		}},
		{"register", func(t *testing.T, s *side) servertest.Reply {
			s.call(t, "POST", "/api/v1/auth/register", "", map[string]string{"username": s.target, "password": pw})
			return s.call(t, "POST", "/api/v1/auth/register", "", map[string]string{"username": s.user, "password": pw})
		}},
		{"register a taken name", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/auth/register", "", map[string]string{"username": s.user, "password": pw})
		}},
		{"register a bad name", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/auth/register", "", map[string]string{"username": "x", "password": pw})
		}},
		{"register a body that is not JSON", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/auth/register", "", "{not json")
		}},
		{"register a body over the limit", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/auth/register", "", `{"username":"`+strings.Repeat("a", 20<<10)+`"}`)
		}},
		{"login with a wrong password", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": s.user, "password": "wrong password"})
		}},
		{"login of an unknown account", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "nobody_" + s.name, "password": pw})
		}},
		{"login", func(t *testing.T, s *side) servertest.Reply {
			r := s.call(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": s.user, "password": pw})
			r.Decode(t, &s.tok)
			return r
		}},
		{"login from the node's own page", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": s.user, "password": pw}, "Origin", s.base)
		}},
		{"login from the node's own page behind a TLS proxy", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": s.user, "password": pw},
				"Origin", "https://"+s.host(), "X-Forwarded-Proto", "https")
		}},
		{"login from another site", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": s.user, "password": pw}, "Origin", evil)
		}},
		{"GET /me", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "GET", "/api/v1/me", s.tok.AccessToken, nil)
		}},
		{"GET /me without a token", func(t *testing.T, s *side) servertest.Reply { return s.call(t, "GET", "/api/v1/me", "", nil) }},
		{"GET /me with a tampered token", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "GET", "/api/v1/me", s.tok.AccessToken[:len(s.tok.AccessToken)-2]+"xx", nil)
		}},
		{"refresh in the body", func(t *testing.T, s *side) servertest.Reply {
			r := s.call(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": s.tok.RefreshToken})
			s.rotated = s.tok.RefreshToken
			r.Decode(t, &s.tok)
			return r
		}},
		{"the same refresh retried at once from the same address (grace)", func(t *testing.T, s *side) servertest.Reply {
			r := s.call(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": s.rotated})
			var again servertest.Tokens
			r.Decode(t, &again)
			if again.RefreshToken != s.tok.RefreshToken {
				t.Errorf("%s: a refresh retried within the grace answered another pair", s.name)
			}
			return r
		}},
		{"refresh by the cookie", func(t *testing.T, s *side) servertest.Reply {
			r := s.call(t, "POST", "/api/v1/auth/refresh", "", nil, "Cookie", "tickwire_refresh="+s.tok.RefreshToken)
			r.Decode(t, &s.tok)
			return r
		}},
		{"refresh from another site", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/auth/refresh", "", nil, "Cookie", "tickwire_refresh="+s.tok.RefreshToken, "Origin", evil)
		}},
		{"refresh without a token", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/auth/refresh", "", map[string]string{})
		}},
		{"refresh by a used cookie from another address (reuse)", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/auth/refresh", "", nil, "Cookie", "tickwire_refresh="+s.rotated, "X-Forwarded-For", "192.0.2.99")
		}},
		{"GET /me in the session reuse ended", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "GET", "/api/v1/me", s.tok.AccessToken, nil)
		}},
		{"refresh of the session reuse ended", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": s.tok.RefreshToken})
		}},
		{"guest", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/auth/guest", "", map[string]string{})
		}},
		{"guest with a name", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/auth/guest", "", map[string]string{"name": "guest_" + s.name})
		}},
		{"guest with no body", func(t *testing.T, s *side) servertest.Reply { return s.call(t, "POST", "/api/v1/auth/guest", "", nil) }},
		{"guest sent by another site (Sec-Fetch-Site)", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/auth/guest", "", map[string]string{}, "Sec-Fetch-Site", "cross-site")
		}},
		{"login again", func(t *testing.T, s *side) servertest.Reply {
			r := s.call(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": s.user, "password": pw})
			r.Decode(t, &s.tok)
			return r
		}},
		{"GET /lobbies", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "GET", "/api/v1/lobbies", s.tok.AccessToken, nil)
		}},
		{"GET /lobbies without a token", func(t *testing.T, s *side) servertest.Reply { return s.call(t, "GET", "/api/v1/lobbies", "", nil) }},
		{"GET /games", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "GET", "/api/v1/games", s.tok.AccessToken, nil)
		}},
		{"GET /leaderboard", func(t *testing.T, s *side) servertest.Reply { return s.call(t, "GET", "/api/v1/leaderboard", "", nil) }},
		{"GET /me/matches", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "GET", "/api/v1/me/matches", s.tok.AccessToken, nil)
		}},
		{"GET / (the browser client's page)", func(t *testing.T, s *side) servertest.Reply { return s.call(t, "GET", "/", "", nil) }},
		{"GET /web/app.js (the bundle, built or not)", func(t *testing.T, s *side) servertest.Reply { return s.call(t, "GET", "/web/app.js", "", nil) }},
		{"GET /metrics (off on the main address)", func(t *testing.T, s *side) servertest.Reply { return s.call(t, "GET", "/metrics", "", nil) }},
		{"GET an unknown API path", func(t *testing.T, s *side) servertest.Reply { return s.call(t, "GET", "/api/v1/nothing", "", nil) }},
		{"GET a POST route", func(t *testing.T, s *side) servertest.Reply { return s.call(t, "GET", "/api/v1/auth/login", "", nil) }},
		{"admin login", func(t *testing.T, s *side) servertest.Reply {
			r := s.call(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "root", "password": "admin password"})
			r.Decode(t, &s.admin)
			return r
		}},
		{"ban without the admin scope", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/admin/accounts/"+s.target+"/ban", s.tok.AccessToken, nil)
		}},
		{"ban", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/admin/accounts/"+s.target+"/ban", s.admin.AccessToken, nil)
		}},
		{"login of a banned account", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": s.target, "password": pw})
		}},
		{"ban of an unknown account", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/admin/accounts/nobody_"+s.name+"/ban", s.admin.AccessToken, nil)
		}},
		{"unban", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/admin/accounts/"+s.target+"/unban", s.admin.AccessToken, nil)
		}},
		{"unban without the admin scope", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/admin/accounts/"+s.target+"/unban", s.tok.AccessToken, nil)
		}},
		{"create an invite", func(t *testing.T, s *side) servertest.Reply {
			r := s.call(t, "POST", "/api/v1/admin/invites", s.admin.AccessToken, map[string]any{"uses": 2, "note": "for " + s.name})
			var inv struct{ Code string }
			r.Decode(t, &inv)
			s.invite = inv.Code
			return r
		}},
		{"create an invite without the admin scope", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/admin/invites", s.tok.AccessToken, map[string]any{})
		}},
		{"create an invite of too many uses", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/admin/invites", s.admin.AccessToken, map[string]any{"uses": 5000})
		}},
		{"list the invites", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "GET", "/api/v1/admin/invites", s.admin.AccessToken, nil)
		}},
		{"list the invites without the admin scope", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "GET", "/api/v1/admin/invites", s.tok.AccessToken, nil)
		}},
		{"revoke an invite", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/admin/invites/revoke", s.admin.AccessToken, map[string]string{"code": s.invite})
		}},
		{"revoke an unknown invite", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/admin/invites/revoke", s.admin.AccessToken, map[string]string{"code": s.invite})
		}},
		{"GET /admin/nodes", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "GET", "/api/v1/admin/nodes", s.admin.AccessToken, nil)
		}},
		{"GET /admin/nodes without the admin scope", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "GET", "/api/v1/admin/nodes", s.tok.AccessToken, nil)
		}},
		{"GET /auth/providers", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "GET", "/api/v1/auth/providers", "", nil)
		}},
		{"OIDC start", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "GET", "/api/v1/auth/oidc/test/start?return_to=/play", "", nil)
		}},
		{"OIDC start with a return_to elsewhere", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "GET", "/api/v1/auth/oidc/test/start?return_to=//evil.example/", "", nil)
		}},
		{"OIDC start of an unknown provider", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "GET", "/api/v1/auth/oidc/nope/start", "", nil)
		}},
		{"OIDC callback without a state", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "GET", "/api/v1/auth/oidc/test/callback?code=x", "", nil)
		}},
		{"OIDC login in a browser, then refresh by its cookie", func(t *testing.T, s *side) servertest.Reply {
			user := map[string]string{"db": "alice", "game": "bob"}[s.name]
			b := s.browser
			landed := b.follow(t, s.base+"/api/v1/auth/oidc/test/start?return_to=/play", user, user+"-pw")
			if landed.Host != s.host() || landed.Path != "/play" || landed.Fragment != "" {
				t.Errorf("%s: the OIDC login landed on %s, want %s/play", s.name, landed, s.base)
			}
			return b.do(t, "POST", "/api/v1/auth/refresh", "")
		}},
		{"OIDC token of a native client", func(t *testing.T, s *side) servertest.Reply {
			tok, err := provider.IDToken(map[string]string{"db": "alice", "game": "bob"}[s.name], "tickwire", 5*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			return s.call(t, "POST", "/api/v1/auth/oidc/test/token", "", map[string]string{"id_token": tok})
		}},
		{"OIDC token of a native client from another site", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/auth/oidc/test/token", "", map[string]string{"id_token": "x.y.z"}, "Origin", evil)
		}},
		{"OIDC token of a native client that does not verify", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/auth/oidc/test/token", "", map[string]string{"id_token": "not.a.token"})
		}},
		{"link an identity", func(t *testing.T, s *side) servertest.Reply {
			return s.browser.do(t, "POST", "/api/v1/me/identities/test", s.tok.AccessToken)
		}},
		{"follow the link in the browser that asked", func(t *testing.T, s *side) servertest.Reply {
			user := map[string]string{"db": "carol", "game": "dave"}[s.name]
			b := s.browser
			r := b.do(t, "POST", "/api/v1/me/identities/test", s.tok.AccessToken)
			var link struct{ URL string }
			r.Decode(t, &link)
			landed := b.follow(t, link.URL, user, user+"-pw")
			if landed.Host != s.host() || landed.Fragment != "linked=test" {
				t.Errorf("%s: the link landed on %s, want %s/#linked=test", s.name, landed, s.base)
			}
			return s.call(t, "GET", "/api/v1/me", s.tok.AccessToken, nil)
		}},
		{"link without a token", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/me/identities/test", "", nil)
		}},
		{"unlink", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "DELETE", "/api/v1/me/identities/test", s.tok.AccessToken, nil)
		}},
		{"unlink from another site", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "DELETE", "/api/v1/me/identities/test", s.tok.AccessToken, nil, "Origin", evil)
		}},
		{"unlink the last login method", func(t *testing.T, s *side) servertest.Reply {
			b := s.browser
			r := b.do(t, "POST", "/api/v1/auth/refresh", "") // the OIDC account of the login above
			var p servertest.Tokens
			r.Decode(t, &p)
			return s.call(t, "DELETE", "/api/v1/me/identities/test", p.AccessToken, nil)
		}},
		{"logout from another site", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/auth/logout", s.tok.AccessToken, map[string]string{}, "Origin", evil)
		}},
		{"logout", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/auth/logout", s.tok.AccessToken, map[string]string{})
		}},
		{"GET /me after logout", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "GET", "/api/v1/me", s.tok.AccessToken, nil)
		}},
		{"logout without a token", func(t *testing.T, s *side) servertest.Reply {
			return s.call(t, "POST", "/api/v1/auth/logout", "", map[string]string{})
		}},
		{"guests until the address's budget runs out", func(t *testing.T, s *side) servertest.Reply {
			return until429(t, func() servertest.Reply {
				return s.call(t, "POST", "/api/v1/auth/guest", "", map[string]string{}, "X-Forwarded-For", "203.0.113.1"+s.ip[len(s.ip)-1:])
			})
		}},
		{"sign-ups until the address's budget runs out", func(t *testing.T, s *side) servertest.Reply {
			n := 0
			return until429(t, func() servertest.Reply {
				n++
				return s.call(t, "POST", "/api/v1/auth/register", "", map[string]string{"username": fmt.Sprintf("many_%s_%d", s.name, n), "password": "x"},
					"X-Forwarded-For", "203.0.113.3"+s.ip[len(s.ip)-1:])
			})
		}},
		{"OIDC starts until the address's budget runs out", func(t *testing.T, s *side) servertest.Reply {
			return until429(t, func() servertest.Reply {
				return s.call(t, "GET", "/api/v1/auth/oidc/test/start", "", nil, "X-Forwarded-For", "203.0.113.4"+s.ip[len(s.ip)-1:])
			})
		}},
		{"failed logins until the address's budget runs out", func(t *testing.T, s *side) servertest.Reply {
			return until429(t, func() servertest.Reply {
				return s.call(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": s.user, "password": "guess guess"},
					"X-Forwarded-For", "203.0.113.2"+s.ip[len(s.ip)-1:])
			})
		}},
	}
	for _, st := range steps {
		var replies []servertest.Reply
		for _, s := range sides {
			replies = append(replies, st.do(t, s))
		}
		sameAnswer(t, st.name, sides, replies)
	}
	walked(t, sides[1])
}
