package game

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// maxGameName bounds a game's name: it travels in every lobby listing and joined frame.
const maxGameName = 32

// CheckDefinitions reports what is wrong with a list of games before a server offers it: a
// game without a name or a New, a name used twice or not made of lower-case letters, digits,
// '-' and '_', bounds on players that cross, an option without a name or of an unknown type,
// an option named twice, or a default its own option refuses. A server checks its list once,
// when it opens, rather than failing the first create of a broken game.
func CheckDefinitions(defs []Definition) error {
	if len(defs) == 0 {
		return errors.New("games: the list is empty: a server needs at least one game")
	}
	seen := map[string]bool{}
	for i, d := range defs {
		where := fmt.Sprintf("games: %q (entry %d)", d.Name, i)
		switch {
		case d.Name == "" || len(d.Name) > maxGameName || strings.Trim(d.Name, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "":
			return fmt.Errorf("%s: a name is 1 to %d lower-case letters, digits, '-' or '_'", where, maxGameName)
		case seen[d.Name]:
			return fmt.Errorf("%s: a second game of that name", where)
		case d.New == nil:
			return fmt.Errorf("%s: no New", where)
		case d.MinPlayers < 0 || d.MaxPlayers < 0 || d.MaxPlayers > MaxPlayersCap || d.MaxPlayers > 0 && d.MinPlayers > d.MaxPlayers:
			return fmt.Errorf("%s: players must be within 1 to %d, min_players at most max_players", where, MaxPlayersCap)
		case d.TickRate < 0 || d.TickRate > MaxTickRate || d.SnapshotRate < 0:
			return fmt.Errorf("%s: tick rate must be within %d to %d Hz", where, MinTickRate, MaxTickRate)
		}
		seen[d.Name] = true
		defaults := make(map[string]any, len(d.Options))
		for _, o := range d.Options {
			if o.Name == "" {
				return fmt.Errorf("%s: an option without a name", where)
			}
			if _, dup := defaults[o.Name]; dup {
				return fmt.Errorf("%s: option %s named twice", where, o.Name)
			}
			if !slices.Contains([]string{OptionInt, OptionBool, OptionString, OptionEnum}, o.Type) {
				return fmt.Errorf("%s: option %s has an unknown type %q", where, o.Name, o.Type)
			}
			if o.Default == nil {
				return fmt.Errorf("%s: option %s has no default", where, o.Name)
			}
			defaults[o.Name] = o.Default
		}
		// Each default must pass its own option's check, or a create that leaves it out would
		// hand New a value the game never allowed.
		if _, err := CheckOptions(d.Options, defaults); err != nil {
			return fmt.Errorf("%s: a default its option refuses: %w", where, err)
		}
	}
	return nil
}
