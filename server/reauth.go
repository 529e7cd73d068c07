package server

import (
	"time"

	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/server/wire"
)

// reauthLead is how long before exp a token that was issued at iat is warned about with
// reauth_required: the configured lead, or min(60 s, a quarter of the token's lifetime).
func (c *conn) reauthLead(iat, exp time.Time) time.Duration {
	if lead := c.srv.cfg.ReauthLead; lead > 0 {
		return lead
	}
	return min(60*time.Second, exp.Sub(iat)/4)
}

// setExpiry sets the token's expiry and when to warn of it, and sets the transport's alarm for
// the first of them. Called with mu held.
func (c *conn) setExpiry(iat, exp time.Time) {
	c.exp = exp
	c.warnAt = exp.Add(-c.reauthLead(iat, exp))
	c.t.SetAlarm(c.nextAlarm())
}

// nextAlarm is when the session's next timed event is due: the warning, or the expiry. Called
// with mu held.
func (c *conn) nextAlarm() time.Time {
	if !c.warnAt.IsZero() && c.warnAt.Before(c.exp) {
		return c.warnAt
	}
	return c.exp
}

// Alarm implements ws.Handler: the transport's one timer, which also pings, is due for the
// session. It closes the socket 4001 at its token's exp and sends reauth_required when that is
// due. It decides from the state under mu, so a reauth that moved exp meanwhile simply makes
// the old expiry not due.
func (c *conn) Alarm() {
	c.mu.Lock()
	now := c.srv.now()
	if !now.Before(c.exp) {
		c.t.Close(wire.CloseTokenExpired, "token expired")
		c.mu.Unlock()
		return
	}
	warn := !c.warnAt.IsZero() && !now.Before(c.warnAt)
	if warn {
		c.warnAt = time.Time{}
	}
	exp := c.exp
	c.t.SetAlarm(c.nextAlarm())
	c.mu.Unlock()
	if warn {
		c.send(wire.TypeReauthRequired, 0, wire.ReauthRequired{Exp: exp.Unix()})
	}
}

// reauth moves the connection's expiry to a new access token's, which must be valid, live,
// carry the play scope and name the same account. A refused token changes nothing: the old
// expiry stands.
func (c *conn) reauth(id uint64, raw string) error {
	claims, err := c.srv.auth.VerifyAccess(raw)
	if err == nil && claims.Subject != c.accountID {
		err = &wire.Error{Code: wire.CodeWrongAccount, Message: "the token is for another account"}
	}
	if err == nil && !claims.HasScope(auth.ScopePlay) {
		err = &wire.Error{Code: wire.CodeForbidden, Message: "this token lacks the play scope"}
	}
	if err != nil {
		c.srv.metrics.reauthRefused.Inc()
		return err
	}
	// A token of another session of the same account (a second login) moves the socket under
	// that session, so that its end closes the socket. Checking liveness again after the move
	// catches an end that came between the verification and the move; an end after the move
	// finds the socket under its new session.
	c.srv.conns.moveSession(c, claims.SID)
	if err := c.srv.auth.CheckLive(claims); err != nil {
		c.closeWith(closeCodeOf(err), "session revoked")
		return nil
	}
	c.mu.Lock()
	if c.t.Closing() {
		c.mu.Unlock()
		return nil
	}
	c.setExpiry(claims.IssuedAt.Time, claims.ExpiresAt.Time)
	c.mu.Unlock()
	c.host = claims.HasScope(auth.ScopeHost)
	c.srv.metrics.reauthOK.Inc()
	c.send(wire.TypeReauthOK, id, wire.ReauthOK{Exp: claims.ExpiresAt.Unix()})
	return nil
}
