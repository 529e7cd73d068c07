package server

import (
	"net"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/tickwire/tickwire/server/cluster"
)

// clientIP returns how the server finds a request's client address, which rate limits,
// connection limits and logs use (through echo.Context.RealIP).
//
// Without trusted proxies it is the TCP peer, whatever headers say: anyone can send
// X-Forwarded-For. With them, the forwarding headers are believed only when the peer is one of
// the trusted proxies; X-Forwarded-For is walked from the right, skipping trusted hops, to the
// first address that is not a trusted proxy (so a client cannot prepend a fake address), and
// X-Real-IP is used when a proxy sends that instead. Echo's extractors do the walking; their
// default trust of loopback and private networks is turned off, so only the listed ranges count.
func clientIP(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	xff := echo.ExtractIPFromXFFHeader(opts...)
	realIP := echo.ExtractIPFromRealIPHeader(opts...)
	return func(r *http.Request) string {
		if len(r.Header.Values(echo.HeaderXForwardedFor)) > 0 {
			return xff(r)
		}
		return realIP(r)
	}
}

// fromTrustedProxy reports whether r's TCP peer is one of the trusted proxies.
func (s *Server) fromTrustedProxy(r *http.Request) bool {
	if len(s.cfg.TrustedProxies) == 0 {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	for _, n := range s.cfg.TrustedProxies {
		if ip != nil && n.Contains(ip) {
			return true
		}
	}
	return false
}

// requestScheme is "https" when the request came over TLS, to this server or (as
// X-Forwarded-Proto says) to a trusted proxy in front of it, and "http" otherwise; for a
// request a game node forwarded, as that node resolved it. The origin check of sockets uses
// it, so a browser page served through a TLS proxy may open its socket.
func (s *Server) requestScheme(r *http.Request) string {
	if f, ok := cluster.ForwardedBy(r.Context()); ok {
		// A game node forwarded r, and resolved the scheme with its own proxies.
		if f.HTTPS {
			return "https"
		}
		return "http"
	}
	if r.TLS != nil {
		return "https"
	}
	if s.fromTrustedProxy(r) {
		// The first entry is what the client used; later proxies append theirs.
		first, _, _ := strings.Cut(r.Header.Get(echo.HeaderXForwardedProto), ",")
		if strings.EqualFold(strings.TrimSpace(first), "https") {
			return "https"
		}
	}
	return "http"
}
