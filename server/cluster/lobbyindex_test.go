package cluster

import (
	"fmt"
	"slices"
	"testing"
)

func TestTheLobbyIndexKeepsItsOrdersThroughChanges(t *testing.T) {
	var x lobbyIndex
	lobby := func(id, name string, players int) Lobby {
		return Lobby{ID: id, Name: name, Game: "arena", Players: players, MaxPlayers: 4, State: "waiting"}
	}
	seen := map[string]Lobby{}
	put := func(l Lobby) {
		key := "n." + l.ID
		if old, ok := seen[key]; ok {
			x.remove(key, old)
		}
		seen[key] = l
		x.add(key, l)
	}
	firstN := func(n int) []string {
		var out []string
		x.first(func(k string) bool { out = append(out, seen[k].Name); return len(out) < n })
		return out
	}
	fullest := func() string {
		var out string
		x.fullest("arena", func(k string) bool { out = seen[k].ID; return false })
		return out
	}
	for i := range 10 {
		put(lobby(fmt.Sprint("l", i), fmt.Sprintf("L%02d", 9-i), i%3))
	}
	if got := firstN(3); !slices.Equal(got, []string{"L00", "L01", "L02"}) {
		t.Fatalf("first three %v", got)
	}
	if got := fullest(); seen["n."+got].Players != 2 {
		t.Fatalf("fullest %s has %d players, want 2", got, seen["n."+got].Players)
	}
	// l0 fills up to 3 of 4; then to 4 of 4, when it has no room and is listed still.
	put(lobby("l0", "L09", 3))
	if got := fullest(); got != "l0" {
		t.Fatalf("fullest %s, want l0 with 3", got)
	}
	put(lobby("l0", "L09", 4))
	if got := fullest(); got == "l0" || seen["n."+got].Players != 2 {
		t.Fatalf("fullest %s once l0 is full", got)
	}
	// A rename moves it in the list; a private or closed lobby leaves both orders.
	put(lobby("l0", "A", 4))
	if got := firstN(2); !slices.Equal(got, []string{"A", "L00"}) {
		t.Fatalf("after the rename %v", got)
	}
	for _, id := range []string{"l2", "l5", "l8"} { // those with 2 players
		l := seen["n."+id]
		if id == "l2" {
			l.Private = true
		} else {
			l.State = "closed"
		}
		put(l)
	}
	if got := fullest(); seen["n."+got].Players != 1 {
		t.Fatalf("fullest %s with the lobbies of 2 gone", got)
	}
	if n := len(x.byName); n != 7 {
		t.Fatalf("%d lobbies by name, want 7", n)
	}
}
