package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/tickwire/tickwire/server/wire"
	"github.com/tickwire/tickwire/store"
)

// Invite limits.
const (
	DefaultInviteTTL  = 7 * 24 * time.Hour
	MaxInviteTTL      = 365 * 24 * time.Hour
	MaxInviteUses     = 1000
	maxInvitesListed  = 1000
	inviteNoteMaxSize = 200
)

// registrationGate applies --registration to POST /auth/register. In invite mode it takes one
// use of the body's "invite" code before the account is made, and gives it back if the
// registration fails, so two people cannot share the last use of a code.
func (s *Server) registrationGate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch s.cfg.Registration {
		case RegistrationOpen:
			return next(c)
		case RegistrationClosed:
			return apiErr(wire.CodeRegistrationClosed, "this server takes no new accounts; ask its admin")
		}
		r := c.Request()
		body, err := io.ReadAll(r.Body) // bounded by the BodyLimit middleware
		if err != nil {
			return err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		var req struct {
			Invite string `json:"invite"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			return apiErr(wire.CodeInvalidRequest, "the body must be a JSON object of the documented fields")
		}
		if req.Invite == "" {
			return apiErr(wire.CodeInviteRequired, `this server registers by invitation: send {"username","password","invite"}`)
		}
		if len(req.Invite) > 64 {
			return apiErr(wire.CodeInviteInvalid, "the invite code is unknown, used up or expired")
		}
		ok, err := s.db.ClaimInvite(r.Context(), req.Invite, s.now())
		if err != nil {
			return err
		}
		if !ok {
			return apiErr(wire.CodeInviteInvalid, "the invite code is unknown, used up or expired")
		}
		err = next(c)
		if err != nil || c.Response().Status != http.StatusCreated {
			// The request may have been cancelled; giving the use back must not be.
			if rerr := s.db.ReleaseInvite(context.WithoutCancel(r.Context()), req.Invite); rerr != nil {
				s.log.Error("give back an invite use", "err", rerr)
			}
		}
		return err
	}
}

// guestGate refuses guest accounts unless registration is open: a guest is an account too.
func (s *Server) guestGate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.cfg.Registration != RegistrationOpen {
			return apiErr(wire.CodeRegistrationClosed, "guests cannot play on this server; ask its admin for an account")
		}
		return next(c)
	}
}

// newInvite makes and stores an invite with a fresh random code (128 bits, base32).
func newInvite(ctx context.Context, db *store.DB, by, note string, uses int, ttl time.Duration, now time.Time) (store.Invite, error) {
	switch {
	case uses < 1 || uses > MaxInviteUses:
		return store.Invite{}, apiErr(wire.CodeInvalidRequest, "uses must be 1 to 1000")
	case ttl < time.Minute || ttl > MaxInviteTTL:
		return store.Invite{}, apiErr(wire.CodeInvalidRequest, "an invite lasts from a minute to a year")
	case len(note) > inviteNoteMaxSize:
		return store.Invite{}, apiErr(wire.CodeInvalidRequest, "note is at most 200 bytes")
	}
	inv := store.Invite{Code: rand.Text(), CreatedBy: by, Note: note, CreatedAt: now, ExpiresAt: now.Add(ttl), MaxUses: uses}
	if err := db.CreateInvite(ctx, inv); err != nil {
		if errors.Is(err, store.ErrInviteExists) {
			return store.Invite{}, errors.New("invite code collision; try again")
		}
		return store.Invite{}, err
	}
	return inv, nil
}
