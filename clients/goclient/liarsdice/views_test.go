package liarsdice_test

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/clients/goclient/liarsdice"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// frame is one frame a socket of the table received.
type frame struct {
	who int
	env wire.Envelope
	err error
}

// seat is one socket at the table and what it has been shown.
type seat struct {
	ws        *websocket.Conn
	id        uint32
	spectator bool
	seq       uint32
	acted     string // the hand and bid it last acted on
	latest    liarsdice.State
	dice      map[int][]int // hand -> the dice its snapshots showed it
	rolls     map[int][]int // hand -> the dice its roll events told it
	roundOver bool
}

// inputMsg is a Liar's Dice input frame's d.
type inputMsg struct {
	Seq       uint32 `msgpack:"seq"`
	Bid       []int  `msgpack:"bid,omitempty"`
	Challenge bool   `msgpack:"challenge,omitempty"`
}

// TestNoSocketSeesAnothersDice plays a whole match of three players, with a spectator watching,
// over a real server and real sockets, and decodes every frame each socket receives: each
// player's snapshots hold their own dice (as their roll events and the reveals confirm) and
// nobody else's, the spectator's hold none, and dice of a hand reach a socket other than their
// owner's only in the reveal of a hand that was challenged, after the challenge.
func TestNoSocketSeesAnothersDice(t *testing.T) {
	s := servertest.Start(t, nil)
	frames := make(chan frame, 1024)
	var seats []*seat
	dial := func(name string) *seat {
		return &seat{ws: s.Dial(t, s.Guest(t, name).AccessToken), dice: map[int][]int{}, rolls: map[int][]int{}}
	}
	joined := func(st *seat) string {
		var j wire.Joined
		servertest.DecodePayload(t, servertest.ReadEnvelope(t, st.ws), &j)
		st.id = j.Player
		return j.Lobby.ID
	}
	api := s.Client(t, "")
	annTok := api.Guest("ann").AccessToken
	host := &seat{ws: s.Dial(t, annTok), dice: map[int][]int{}, rolls: map[int][]int{}}
	servertest.WriteEnvelope(t, host.ws, wire.TypeCreate, 1, wire.Create{Name: "dice", MaxPlayers: 3,
		Game: liarsdice.Name, Options: map[string]any{"dice": 2}})
	lobby := joined(host)
	seats = append(seats, host)
	for _, name := range []string{"bob", "cy", "sam"} {
		st := dial(name)
		st.spectator = name == "sam"
		servertest.WriteEnvelope(t, st.ws, wire.TypeJoin, 1, wire.Join{Lobby: lobby, Spectate: st.spectator})
		if joined(st) != lobby {
			t.Fatalf("%s joined another lobby", name)
		}
		seats = append(seats, st)
	}
	// From here on every frame of every socket goes through the checks below, in the order
	// each socket received them.
	stop := make(chan struct{})
	var readers sync.WaitGroup
	t.Cleanup(func() {
		close(stop)
		for _, st := range seats {
			st.ws.Close()
		}
		readers.Wait()
	})
	for i, st := range seats {
		_ = st.ws.SetReadDeadline(time.Time{}) // servertest's reads set one; the match's own deadline holds
		readers.Go(func() {
			for {
				_, b, err := st.ws.ReadMessage()
				var env wire.Envelope
				if err == nil {
					env, err = wire.Decode(b, wire.Limits{})
				}
				select {
				case frames <- frame{who: i, env: env, err: err}:
				case <-stop:
					return
				}
				if err != nil {
					return
				}
			}
		})
	}
	servertest.WriteEnvelope(t, host.ws, wire.TypeStart, 2, nil)

	challenged := map[int]bool{} // hands a challenge was sent in
	reveals := 0
	deadline := time.After(60 * time.Second)
	for done := 0; done < len(seats); {
		var f frame
		select {
		case f = <-frames:
		case <-deadline:
			t.Fatalf("the match did not end in 60 s; %d sockets saw round_over", done)
		}
		if f.err != nil {
			t.Fatalf("socket %d: %v", f.who, f.err)
		}
		st := seats[f.who]
		switch f.env.T {
		case wire.TypeSnapshot:
			state, err := liarsdice.Decode(f.env.D)
			if err != nil {
				t.Fatalf("socket %d: %v", f.who, err)
			}
			checkState(t, st, state, challenged)
			st.latest = state
			if !st.spectator {
				act(t, st, state, challenged)
			}
		case wire.TypeEvent:
			var e wire.Event
			servertest.DecodePayload(t, f.env, &e)
			switch {
			case e.Kind == wire.EventRoundOver:
				if !st.roundOver {
					st.roundOver = true
					done++
				}
				if len(e.Scores) != 3 || e.Scores[0].Score != 2 {
					t.Errorf("socket %d: round_over scores %+v", f.who, e.Scores)
				}
			case e.Kind == wire.EventGame && e.Name == "roll":
				var r liarsdice.Roll
				if err := liarsdice.EventData(e, "roll", &r); err != nil {
					t.Fatal(err)
				}
				if st.spectator {
					t.Fatalf("the spectator was told a roll: %+v", r)
				}
				if d, ok := st.dice[r.Hand]; ok && !slices.Equal(d, r.Dice) {
					t.Fatalf("player %d rolled %v in hand %d, its snapshot showed %v", st.id, r.Dice, r.Hand, d)
				}
				st.rolls[r.Hand] = r.Dice
			case e.Kind == wire.EventGame && e.Name == "reveal":
				var r liarsdice.Reveal
				if err := liarsdice.EventData(e, "reveal", &r); err != nil {
					t.Fatal(err)
				}
				if !challenged[r.Hand] {
					t.Fatalf("socket %d got a reveal of hand %d, which nobody challenged", f.who, r.Hand)
				}
				if f.who == 0 {
					reveals++
				}
				checkReveal(t, seats, r)
			}
		case wire.TypeError:
			var e wire.Error
			servertest.DecodePayload(t, f.env, &e)
			t.Errorf("socket %d: error %s: %s", f.who, e.Code, e.Message)
		}
	}
	if reveals == 0 {
		t.Error("a match with no challenge proves nothing about reveals")
	}
	for i, st := range seats {
		if !st.spectator && len(st.dice) == 0 {
			t.Errorf("socket %d was never shown its dice", i)
		}
	}
	// The match is recorded with the host's place.
	var mine struct {
		Matches []struct {
			Game  string `json:"game"`
			Score int    `json:"score"`
		} `json:"matches"`
	}
	servertest.Eventually(t, 5*time.Second, "the match recorded", func() bool {
		api.Do(http.MethodGet, "/api/v1/me/matches", annTok, nil).Decode(t, &mine)
		return len(mine.Matches) == 1
	})
	if m := mine.Matches[0]; m.Game != liarsdice.Name || m.Score < 0 || m.Score > 2 {
		t.Errorf("the host's match %+v", m)
	}
}

// checkState checks one snapshot of socket st: its own dice, no one else's, and only reveals of
// hands that were challenged.
func checkState(t *testing.T, st *seat, s liarsdice.State, challenged map[int]bool) {
	t.Helper()
	if st.spectator && len(s.Dice) != 0 {
		t.Fatalf("the spectator's snapshot at tick %d holds dice %v", s.Tick, s.Dice)
	}
	if !st.spectator {
		me, ok := s.Player(st.id)
		if !ok || me.Dice != len(s.Dice) {
			t.Fatalf("player %d's snapshot at tick %d holds %d dice, the table says it has %d", st.id, s.Tick, len(s.Dice), me.Dice)
		}
		if len(s.Dice) > 0 {
			if d, ok := st.dice[s.Hand]; ok && !slices.Equal(d, s.Dice) && !(s.Winner != 0 && slices.Equal(d[:len(s.Dice)], s.Dice)) {
				t.Fatalf("player %d's dice changed within hand %d: %v, then %v", st.id, s.Hand, d, s.Dice)
			}
			if r, ok := st.rolls[s.Hand]; ok && !slices.Equal(r, s.Dice) && s.Winner == 0 {
				t.Fatalf("player %d's snapshot shows %v in hand %d, it rolled %v", st.id, s.Dice, s.Hand, r)
			}
			if _, ok := st.dice[s.Hand]; !ok {
				st.dice[s.Hand] = slices.Clone(s.Dice)
			}
		}
	}
	if r := s.Reveal; r != nil {
		if !challenged[r.Hand] || r.Hand > s.Hand || r.Hand == s.Hand && s.Winner == 0 {
			t.Fatalf("socket of player %d: the snapshot of hand %d (winner %d) reveals hand %d; challenged %v", st.id, s.Hand, s.Winner, r.Hand, challenged)
		}
	}
}

// checkReveal checks that a reveal shows each player's dice as that player's own snapshots
// showed them: what each player was shown as theirs was theirs.
func checkReveal(t *testing.T, seats []*seat, r liarsdice.Reveal) {
	t.Helper()
	for _, hd := range r.Dice {
		for _, st := range seats {
			if st.id != hd.Player {
				continue
			}
			if d, ok := st.dice[r.Hand]; ok && !slices.Equal(d, hd.Dice) {
				t.Fatalf("hand %d: player %d was shown %v, the reveal shows %v", r.Hand, st.id, d, hd.Dice)
			}
		}
	}
}

// act plays socket st's turn: a challenge of a bid of more than half the dice on the table,
// else the lowest raise.
func act(t *testing.T, st *seat, s liarsdice.State, challenged map[int]bool) {
	t.Helper()
	b, hasBid := s.Bid()
	key := fmt.Sprint(s.Hand, b)
	if s.Turn != st.id || s.Winner != 0 || key == st.acted {
		return
	}
	st.acted = key
	st.seq++
	in := inputMsg{Seq: st.seq}
	total := s.DiceInPlay()
	switch {
	case hasBid && (2*b.Count > total || !s.Raises(b.Count, b.Face+1) && !s.Raises(b.Count+1, s.MinFace())):
		in.Challenge = true
		challenged[s.Hand] = true
	case !hasBid:
		in.Bid = []int{1, s.MinFace()}
	case s.Raises(b.Count, b.Face+1):
		in.Bid = []int{b.Count, b.Face + 1}
	default:
		in.Bid = []int{b.Count + 1, s.MinFace()}
	}
	servertest.WriteEnvelope(t, st.ws, wire.TypeInput, 0, in)
}
