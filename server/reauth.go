package server

import (
	"time"

	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/server/wire"
)

// reauthLead is how long before its token's exp a connection is sent reauth_required: the
// configured lead, or min(60 s, a quarter of the token's lifetime).
func (c *conn) reauthLead() time.Duration {
	if lead := c.srv.cfg.ReauthLead; lead > 0 {
		return lead
	}
	return min(60*time.Second, c.exp.Sub(c.iat)/4)
}

// armExpiry (re)arms the reauth warning and the 4001 close for c.exp. Called with mu held.
// Each arming has a generation, so that a timer of an earlier expiry that fires while a reauth
// replaces it does nothing.
func (c *conn) armExpiry() {
	if c.warnTimer != nil {
		c.warnTimer.Stop()
	}
	if c.expTimer != nil {
		c.expTimer.Stop()
	}
	c.expGen++
	gen, exp := c.expGen, c.exp
	now := c.srv.now()
	c.warnTimer = time.AfterFunc(max(exp.Add(-c.reauthLead()).Sub(now), 0), func() {
		c.mu.Lock()
		current := c.expGen == gen && !c.closing
		c.mu.Unlock()
		if current {
			c.send(wire.TypeReauthRequired, 0, wire.ReauthRequired{Exp: exp.Unix()})
		}
	})
	c.expTimer = time.AfterFunc(max(exp.Sub(now), 0), func() {
		c.mu.Lock()
		if c.expGen == gen {
			c.closeLocked(CloseTokenExpired, "token expired")
		}
		c.mu.Unlock()
	})
}

// reauth moves the connection's expiry to a new access token's, which must be valid, live,
// carry the play scope and name the same account. A refused token changes nothing: the old
// expiry stands.
func (c *conn) reauth(id uint64, raw string) error {
	claims, err := c.srv.auth.VerifyAccess(raw)
	if err == nil && claims.Subject != c.accountID {
		err = &auth.Error{Code: wire.CodeWrongAccount, Message: "the token is for another account"}
	}
	if err == nil && !claims.HasScope(auth.ScopePlay) {
		err = &auth.Error{Code: auth.CodeForbidden, Message: "this token lacks the play scope"}
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
		c.closeWith(CloseRevoked, "session revoked")
		return nil
	}
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return nil
	}
	c.exp, c.iat = claims.ExpiresAt.Time, claims.IssuedAt.Time
	c.armExpiry()
	c.mu.Unlock()
	c.srv.metrics.reauthOK.Inc()
	c.send(wire.TypeReauthOK, id, wire.ReauthOK{Exp: claims.ExpiresAt.Unix()})
	return nil
}
