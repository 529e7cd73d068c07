package cluster

import (
	"cmp"
	"slices"
	"strings"
)

// lobbyIndex orders the other nodes' lobbies as the lists and quick join read them, so that
// neither reads every lobby of the cluster: the public ones by name (a list reads its first
// few), and, per game, those with room by how many play (quick join reads the fullest). The
// watch of the lobbies bucket keeps it, under the directory's lock; a lobby's players change
// its place among those with room, its name only rarely its place by name.
type lobbyIndex struct {
	byName []nameKey                        // public lobbies, by name, then id, then key
	room   map[string]*[maxSeats + 1]keySet // per game, public lobbies with room, by players
}

// maxSeats bounds the players the index sorts by; a lobby claiming more counts as this many.
const maxSeats = 64

type nameKey struct{ name, id, key string }

func (a nameKey) compare(b nameKey) int {
	return cmp.Or(strings.Compare(a.name, b.name), strings.Compare(a.id, b.id), strings.Compare(a.key, b.key))
}

type keySet map[string]struct{}

func listedPublic(l Lobby) bool { return !l.Private && l.State != "closed" }

func withRoom(l Lobby) bool { return listedPublic(l) && l.Players < l.MaxPlayers }

func seats(players int) int { return min(max(players, 0), maxSeats) }

// add indexes lobby l under key.
func (x *lobbyIndex) add(key string, l Lobby) {
	if listedPublic(l) {
		k := nameKey{l.Name, l.ID, key}
		i, found := slices.BinarySearchFunc(x.byName, k, nameKey.compare)
		if !found {
			x.byName = slices.Insert(x.byName, i, k)
		}
	}
	if withRoom(l) {
		if x.room == nil {
			x.room = map[string]*[maxSeats + 1]keySet{}
		}
		g := x.room[l.Game]
		if g == nil {
			g = &[maxSeats + 1]keySet{}
			x.room[l.Game] = g
		}
		p := seats(l.Players)
		if g[p] == nil {
			g[p] = keySet{}
		}
		g[p][key] = struct{}{}
	}
}

// remove forgets lobby l, indexed under key.
func (x *lobbyIndex) remove(key string, l Lobby) {
	if listedPublic(l) {
		if i, found := slices.BinarySearchFunc(x.byName, nameKey{l.Name, l.ID, key}, nameKey.compare); found {
			x.byName = slices.Delete(x.byName, i, i+1)
		}
	}
	if withRoom(l) {
		if g := x.room[l.Game]; g != nil {
			delete(g[seats(l.Players)], key)
		}
	}
}

// first calls keep with the keys of the public lobbies by name, until it answers false.
func (x *lobbyIndex) first(keep func(key string) bool) {
	for _, k := range x.byName {
		if !keep(k.key) {
			return
		}
	}
}

// fullest calls keep with the keys of game's public lobbies with room, the fullest first,
// until it answers false.
func (x *lobbyIndex) fullest(game string, keep func(key string) bool) {
	g := x.room[game]
	if g == nil {
		return
	}
	for p := maxSeats; p >= 0; p-- {
		for k := range g[p] {
			if !keep(k) {
				return
			}
		}
	}
}
