package server

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/server/cluster"
	"github.com/tickwire/tickwire/server/wire"
	"github.com/tickwire/tickwire/server/ws"
)

// retryAfterLimit is the Retry-After, in seconds, of a socket refused for a connection limit.
const retryAfterLimit = 5

// newUpgrader returns the upgrader of /ws: small read buffers (frames are small, and an idle
// socket keeps its read buffer), no compression (it costs memory per socket and opens
// compression side channels), and the one subprotocol, tickwire.v1. Origins are checked before
// the upgrade, with a JSON refusal; failures inside the upgrade answer JSON too.
func newUpgrader() websocket.Upgrader {
	return websocket.Upgrader{
		ReadBufferSize: 512,
		// Data frames bypass gorilla's writer (see server/ws) and control frames use a buffer
		// of their own, so the pool is never drawn from; having one keeps gorilla from giving
		// every socket a write buffer.
		WriteBufferPool:   &sync.Pool{},
		Subprotocols:      []string{wire.Subprotocol},
		EnableCompression: false,
		HandshakeTimeout:  10 * time.Second,
		CheckOrigin:       func(*http.Request) bool { return true },
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			writeError(w, status, wire.Error{Code: wire.CodeInvalidRequest, Message: "not a valid WebSocket upgrade"})
		},
	}
}

// socketToken finds the access token of an upgrade request: the Authorization header, then a
// bearer.<jwt> subprotocol entry, then the token query parameter. A token from the query is
// then blanked out of the request's URL, so that nothing that logs the request afterwards can
// write it down.
func socketToken(r *http.Request) string {
	if t := bearer(r); t != "" {
		return t
	}
	for _, h := range r.Header.Values("Sec-WebSocket-Protocol") {
		for p := range strings.SplitSeq(h, ",") {
			if p = strings.TrimSpace(p); strings.HasPrefix(p, wire.BearerPrefix) {
				return p[len(wire.BearerPrefix):]
			}
		}
	}
	q := r.URL.Query()
	t := q.Get("token")
	if q.Has("token") {
		q.Set("token", "redacted")
		r.URL.RawQuery = q.Encode()
		r.RequestURI = r.URL.RequestURI()
	}
	return t
}

// originAllowed checks a browser's Origin against --origins exactly, or, when that is unset,
// against the server's own origin: in a cluster, the public URL of any of its live nodes too,
// since a page served by one node follows moved to another's socket. Requests without an
// Origin (bots) pass.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if len(s.cfg.Origins) > 0 {
		return slices.Contains(s.cfg.Origins, origin)
	}
	u, err := url.Parse(origin)
	if err != nil || u.Path != "" && u.Path != "/" {
		return false
	}
	if u.Scheme == s.requestScheme(r) && strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return s.cluster != nil && slices.ContainsFunc(s.cluster.Nodes(), func(n cluster.NodeInfo) bool {
		return strings.EqualFold(strings.TrimSuffix(n.PublicURL, "/"), u.Scheme+"://"+u.Host)
	})
}

// refuse answers an upgrade request with a plain HTTP error and its JSON body, before any
// upgrade, and counts it under reason.
func (s *Server) refuse(c echo.Context, reason string, err error) error {
	s.metrics.refusals.WithLabelValues(reason).Inc()
	s.log.Debug("socket refused", "reason", reason, "addr", c.RealIP(), "path", c.Request().URL.Path)
	return err
}

func (s *Server) handleWS(c echo.Context) error {
	r := c.Request()
	if s.shuttingDown.Load() {
		return s.refuse(c, "shutting_down", apiErr(wire.CodeShuttingDown, "the server is shutting down"))
	}
	if s.cluster != nil && s.cluster.Refusing() {
		return s.refuse(c, "cluster", apiErr(wire.CodeUnavailable, "this node is cut off from its cluster; try again shortly"))
	}
	raw := socketToken(r)
	if !s.originAllowed(r) {
		return s.refuse(c, "origin", apiErr(wire.CodeForbidden, "this page's origin may not open sockets here"))
	}
	if raw == "" {
		return s.refuse(c, "no_token", apiErr(wire.CodeInvalidToken, "an access token is required"))
	}
	claims, err := s.auth.VerifyAccess(raw)
	if err != nil {
		return s.refuse(c, wire.ErrorCode(err), err)
	}
	if !claims.HasScope(auth.ScopePlay) {
		return s.refuse(c, "scope", apiErr(wire.CodeForbidden, "this token lacks the play scope"))
	}
	if !websocket.IsWebSocketUpgrade(r) {
		return s.refuse(c, "not_websocket", apiErr(wire.CodeInvalidRequest, "this endpoint takes WebSocket upgrades"))
	}
	// The welcome frame is encoded here, on the request's goroutine, so that the socket's own
	// goroutine never grows its stack for an encoder.
	welcome, err := welcomeFrame(make([]byte, ws.HeaderRoom, 160), claims, time.Now())
	if err != nil {
		return err
	}
	cn := &conn{
		srv:       s,
		addr:      c.RealIP(),
		accountID: claims.Subject,
		username:  claims.Name,
		sid:       claims.SID,
		host:      claims.HasScope(auth.ScopeHost),
	}
	t := ws.New(s.wsCfg, cn)
	cn.t = t
	t.Send(welcome) // it waits for the upgrade
	cn.setExpiry(claims.IssuedAt.Time, claims.ExpiresAt.Time)
	switch limit := s.conns.admit(cn, &s.cfg); limit {
	case "":
	case "shutting_down":
		return s.refuse(c, limit, apiErr(wire.CodeShuttingDown, "the server is shutting down"))
	default:
		return s.refuse(c, "limit_"+limit, &wire.Error{Code: wire.CodeRateLimited, Message: "too many open sockets for this " + limit, RetryAfter: retryAfterLimit})
	}
	// A logout, ban or refresh reuse records its end in the index, then closes the sockets it
	// finds filed under the session or account. Checking again now that the socket is filed
	// closes the gap between the first check and the admission: an end that came before the
	// filing is seen here, and one that comes after finds the socket and closes it.
	if err := s.auth.CheckLive(claims); err != nil {
		s.conns.remove(cn)
		return s.refuse(c, wire.ErrorCode(err), err)
	}
	up, err := s.upgrader.Upgrade(c.Response(), r, nil)
	if err != nil {
		// The upgrader has already answered, through its Error function.
		s.conns.remove(cn)
		s.metrics.refusals.WithLabelValues("handshake").Inc()
		return nil
	}
	s.tuneSocket(up.NetConn())
	// From here on the socket is read and written by hand (server/ws); gorilla's connection,
	// with its buffers, is let go.
	t.Attach(up.NetConn())
	s.log.Debug("socket open", "account", cn.accountID, "addr", cn.addr)
	// The handler returns at once, so net/http's goroutine and its request are freed: on Linux
	// a poller reads the socket from now on, elsewhere a fresh goroutine with a small stack.
	t.Start(s.polls, cn.ended)
	return nil
}

// welcomeFrame appends the first frame of a socket authenticated by claims to b.
func welcomeFrame(b []byte, claims *auth.Claims, now time.Time) ([]byte, error) {
	return wire.AppendFrame(b, wire.TypeWelcome, 0, wire.Welcome{
		Protocol: wire.Protocol, Account: wire.Account{ID: claims.Subject, Username: claims.Name},
		Exp: claims.ExpiresAt.Unix(), ServerTime: now.UnixMilli(),
	})
}

// tuneSocket sets the kernel send buffer of a socket: a fixed buffer bounds what a client that
// stops reading holds in kernel memory, and makes it show as stalled after that much rather
// than after the megabytes autotuning allows.
func (s *Server) tuneSocket(nc net.Conn) {
	if s.cfg.SendBuffer <= 0 {
		return
	}
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(s.cfg.SendBuffer)
	}
}
