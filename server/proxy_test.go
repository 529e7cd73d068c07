package server_test

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
)

// TestTrustedProxyAddresses checks both ways that the per-address socket limit and the access
// log use the forwarded client address only when the request came from a trusted proxy. The
// test's requests all come from 127.0.0.1, which plays the proxy.
func TestTrustedProxyAddresses(t *testing.T) {
	for _, trusted := range []bool{true, false} {
		name := "untrusted peer: headers ignored"
		if trusted {
			name = "trusted proxy: forwarded address used"
		}
		t.Run(name, func(t *testing.T) {
			args := []string{"--data", t.TempDir(), "--addr", "127.0.0.1:0", "--max-conns-per-addr", "1", "--log-format", "json"}
			if trusted {
				args = append(args, "--trusted-proxies", "127.0.0.1/32")
			}
			m := servertest.StartMain(t, args, nil)
			a1, _ := servertest.SignUp(t, nil, m.URL, "proxied1", "correct horse")
			a2, _ := servertest.SignUp(t, nil, m.URL, "proxied2", "correct horse")
			from := func(ip string) http.Header {
				return http.Header{"X-Forwarded-For": {ip}}
			}
			ws1, _, err := servertest.DialWelcome(t, nil, servertest.WSURL(m.URL), a1, from("198.51.100.1"))
			if err != nil {
				t.Fatalf("first socket: %v", err)
			}
			defer ws1.Close()
			ws2, resp, err := servertest.DialWelcome(t, nil, servertest.WSURL(m.URL), a2, from("198.51.100.2"))
			if trusted {
				if err != nil {
					t.Fatalf("a second client behind the proxy was refused: %v", err)
				}
				ws2.Close()
			} else {
				if err == nil {
					ws2.Close()
					t.Fatal("a forged X-Forwarded-For from an untrusted peer dodged the per-address limit")
				}
				if resp == nil || resp.StatusCode != http.StatusTooManyRequests {
					t.Fatalf("want 429 for the second socket from one address, got %v", resp)
				}
			}
			st, _, _ := servertest.Call(t, nil, "GET", m.URL+"/api/v1/me", a1, nil, "X-Forwarded-For", "203.0.113.9", "X-Real-IP", "203.0.113.10")
			if st != http.StatusOK {
				t.Fatalf("/me: %d", st)
			}
			want := `"ip":"127.0.0.1"`
			if trusted {
				want = `"ip":"203.0.113.9"`
			}
			// A line is written when its handler returns, which may be just after the client
			// has its answer.
			waitFor(t, 5*time.Second, "the access log lines", func() bool {
				logs := m.Stderr.String()
				return strings.Contains(logs, `"path":"/ws","status":101`) &&
					strings.Contains(logs, `"path":"/api/v1/me","status":200`) && strings.Contains(logs, want)
			})
			logs := m.Stderr.String()
			if !trusted && strings.Contains(logs, "203.0.113.9") {
				t.Fatal("a forged address from an untrusted peer reached the log")
			}
		})
	}
}

// TestOriginThroughTLSProxy: a page served by a TLS-terminating proxy has an https origin; the
// socket's origin check believes X-Forwarded-Proto only from a trusted proxy.
func TestOriginThroughTLSProxy(t *testing.T) {
	for _, trusted := range []bool{true, false} {
		srv := servertest.Start(t, func(c *server.Config) {
			if trusted {
				c.TrustedProxies = mustCIDRs(t, "127.0.0.0/8")
			}
		})
		access, _ := servertest.SignUp(t, nil, srv.URL(), "originuser", "correct horse")
		host := strings.TrimPrefix(srv.URL(), "http://")
		hdr := http.Header{"Origin": {"https://" + host}, "X-Forwarded-Proto": {"https"}}
		ws, resp, err := servertest.DialWelcome(t, nil, servertest.WSURL(srv.URL()), access, hdr)
		if trusted && err != nil {
			t.Fatalf("trusted proxy, https origin: %v", err)
		}
		if !trusted {
			if err == nil {
				ws.Close()
				t.Fatal("X-Forwarded-Proto from an untrusted peer was believed")
			}
			if resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Fatalf("want 403, got %v", resp)
			}
			continue
		}
		ws.Close()
	}
}

func mustCIDRs(t *testing.T, s string) []*net.IPNet {
	t.Helper()
	c, _, err := server.ParseConfig("serve", []string{"--trusted-proxies", s}, func(string) string { return "" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c.TrustedProxies
}
