package server

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/tickwire/tickwire/game"
)

// gameJSON is one entry of GET /api/v1/games: the contract's fields.
type gameJSON struct {
	Name        string      `json:"name"`
	DisplayName string      `json:"display_name"`
	MinPlayers  int         `json:"min_players"`
	MaxPlayers  int         `json:"max_players"`
	Options     optionsJSON `json:"options"`
}

// optionJSON describes one create option: min and max bound an int's value or a string's
// length and are left out when the option has no bounds; values list an enum's choices.
type optionJSON struct {
	Type        string   `json:"type"`
	Default     any      `json:"default"`
	Min         *int     `json:"min,omitempty"`
	Max         *int     `json:"max,omitempty"`
	Values      []string `json:"values,omitempty"`
	Description string   `json:"description,omitempty"`
}

// optionsJSON is a game's options as a JSON object keyed by name, in the order the game lists
// them (a Go map would sort them), so that a client shows them as the game meant.
type optionsJSON []game.Option

func (os optionsJSON) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, o := range os {
		if i > 0 {
			b.WriteByte(',')
		}
		name, err := json.Marshal(o.Name)
		if err != nil {
			return nil, err
		}
		b.Write(name)
		b.WriteByte(':')
		out := optionJSON{Type: o.Type, Default: o.Default, Values: o.Values, Description: o.Description}
		if o.Min != 0 || o.Max != 0 {
			out.Min, out.Max = &o.Min, &o.Max
		}
		v, err := json.Marshal(out)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// gamesBody encodes the answer of GET /api/v1/games for defs, the default game first. The
// games are fixed for a server's life, so it is encoded once.
func gamesBody(defs []game.Definition) ([]byte, error) {
	out := make([]gameJSON, len(defs))
	for i, d := range defs {
		out[i] = gameJSON{Name: d.Name, DisplayName: d.DisplayName, MinPlayers: d.MinPlayers, MaxPlayers: d.MaxPlayers, Options: d.Options}
	}
	return json.Marshal(map[string]any{"games": out})
}

// handleGames lists the games lobbies may be created with, the default first, with the options
// create takes for each: {"games": [{"name","display_name","min_players","max_players",
// "options"}]}.
func (s *Server) handleGames(c echo.Context) error {
	body, err := s.gamesJSON()
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSONBlob(http.StatusOK, body)
}
