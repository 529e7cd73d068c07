package server

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/tickwire/tickwire/server/wire"
)

// lobbyJSON is one entry of GET /api/v1/lobbies, exactly the contract's fields.
type lobbyJSON struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Game       string `json:"game"`
	Players    int    `json:"players"`
	MaxPlayers int    `json:"max_players"`
	State      string `json:"state"`
	TickRate   int    `json:"tick_rate"`
	Node       string `json:"node,omitempty"` // in a cluster, the node that hosts it
}

// handleLobbies lists the public lobbies, by name. Players counts the seats that play,
// connected or within their grace period; spectators are not counted.
func (s *Server) handleLobbies(c echo.Context) error {
	list := s.lobbies.List()
	out := make([]lobbyJSON, 0, len(list))
	for _, l := range list {
		out = append(out, lobbyJSON{ID: l.ID, Name: l.Name, Game: l.Game, Players: l.Players, MaxPlayers: l.MaxPlayers, State: string(l.State), TickRate: l.TickRate})
	}
	out = s.clusterLobbies(out)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]any{"lobbies": out})
}

func limitParam(c echo.Context, def, most int) (int, error) {
	v := c.QueryParam("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > most {
		return 0, apiErr(wire.CodeInvalidRequest, "limit must be 1 to "+strconv.Itoa(most))
	}
	return n, nil
}

// handleLeaderboard lists the accounts with the highest total score over every recorded
// round: {"leaders": [{"username","total","matches","wins","best"}]}, best first; ?limit=1..100
// (default 20). It needs no token.
func (s *Server) handleLeaderboard(c echo.Context) error {
	n, err := limitParam(c, 20, 100)
	if err != nil {
		return err
	}
	rows, err := s.db.Leaderboard(c.Request().Context(), n)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"leaders": rows})
}

// handleMyMatches lists the caller's recorded rounds, newest first: {"matches": [{"id","lobby",
// "game","started_at","ended_at","duration_ms","players","score","place"}]}; ?limit=1..100
// (default 20).
func (s *Server) handleMyMatches(c echo.Context) error {
	n, err := limitParam(c, 20, 100)
	if err != nil {
		return err
	}
	rows, err := s.db.MatchesOf(c.Request().Context(), claimsOf(c).Subject, n)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"matches": rows})
}
