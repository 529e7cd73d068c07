package server

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/tickwire/tickwire/server/wire"
	"github.com/tickwire/tickwire/store"
)

// handleBan is POST /api/v1/admin/accounts/:username/ban and .../unban: a ban ends the
// account's sessions and closes its sockets at once.
func (s *Server) handleBan(banned bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		a, err := s.auth.SetBanned(c.Request().Context(), c.Param("username"), banned)
		if err != nil {
			return err
		}
		if !banned {
			s.publishUnban(a.ID)
		}
		return c.NoContent(http.StatusNoContent)
	}
}

// inviteJSON is an invite as the admin API shows it.
type inviteJSON struct {
	Code      string `json:"code"`
	CreatedBy string `json:"created_by"`
	Note      string `json:"note,omitempty"`
	CreatedAt int64  `json:"created_at"`
	ExpiresAt int64  `json:"expires_at"`
	MaxUses   int    `json:"max_uses"`
	Uses      int    `json:"uses"`
}

func toInviteJSON(inv store.Invite) inviteJSON {
	return inviteJSON{Code: inv.Code, CreatedBy: inv.CreatedBy, Note: inv.Note, CreatedAt: inv.CreatedAt.Unix(),
		ExpiresAt: inv.ExpiresAt.Unix(), MaxUses: inv.MaxUses, Uses: inv.Uses}
}

// handleCreateInvite is POST /api/v1/admin/invites {"uses"?, "expires_in"? (s), "note"?}.
func (s *Server) handleCreateInvite(c echo.Context) error {
	req := struct {
		Uses      int    `json:"uses"`
		ExpiresIn int64  `json:"expires_in"`
		Note      string `json:"note"`
	}{Uses: 1, ExpiresIn: int64(DefaultInviteTTL / time.Second)}
	if c.Request().ContentLength != 0 {
		if err := bind(c, &req); err != nil {
			return err
		}
	}
	if req.ExpiresIn > int64(MaxInviteTTL/time.Second) {
		req.ExpiresIn = int64(MaxInviteTTL/time.Second) + 1 // refused below, without overflowing
	}
	inv, err := newInvite(c.Request().Context(), s.db, claimsOf(c).Name, req.Note, req.Uses, time.Duration(req.ExpiresIn)*time.Second, s.now())
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, toInviteJSON(inv))
}

// handleListInvites is GET /api/v1/admin/invites: the invites that can still be used.
func (s *Server) handleListInvites(c echo.Context) error {
	invs, err := s.db.ListInvites(c.Request().Context(), s.now(), maxInvitesListed)
	if err != nil {
		return err
	}
	out := make([]inviteJSON, 0, len(invs))
	for _, inv := range invs {
		out = append(out, toInviteJSON(inv))
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]any{"invites": out})
}

// handleRevokeInvite is POST /api/v1/admin/invites/revoke {"code"}. The code travels in the
// body rather than the path so that it never appears in an access log.
func (s *Server) handleRevokeInvite(c echo.Context) error {
	var req struct {
		Code string `json:"code"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	ok, err := s.db.DeleteInvite(c.Request().Context(), req.Code)
	if err != nil {
		return err
	}
	if !ok {
		return apiErr(wire.CodeNotFound, "no such invite")
	}
	return c.NoContent(http.StatusNoContent)
}
