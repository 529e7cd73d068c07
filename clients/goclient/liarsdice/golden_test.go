package liarsdice

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/tickwire/tickwire/server/wire"
)

// golden returns the frames of the server's golden file by name.
func golden(t *testing.T) map[string][]byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "server", "wire", "testdata", "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vs []struct{ Name, Hex string }
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, v := range vs {
		if out[v.Name], err = hex.DecodeString(v.Hex); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// inputFrame builds an input frame as goclient.Conn.SendInput does.
func inputFrame(seq uint32, fields []byte, n int) []byte {
	b := []byte{0x82, 0xa1, 't', 0xa5, 'i', 'n', 'p', 'u', 't', 0xa1, 'd'}
	b = wire.AppendMapHeader(b, n+1)
	b = wire.AppendString(b, "seq")
	b = wire.AppendUint(b, uint64(seq))
	return append(b, fields...)
}

func payload(t *testing.T, frame []byte) wire.Envelope {
	t.Helper()
	env, err := wire.Decode(frame, wire.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func TestGoldenInputs(t *testing.T) {
	g := golden(t)
	bid, n := AppendBid(nil, 3, 5)
	if got, want := inputFrame(17, bid, n), g["input.liarsdice_bid"]; !bytes.Equal(got, want) {
		t.Errorf("bid encodes as %x, want %x", got, want)
	}
	ch, n := AppendChallenge(nil)
	if got, want := inputFrame(18, ch, n), g["input.liarsdice_challenge"]; !bytes.Equal(got, want) {
		t.Errorf("challenge encodes as %x, want %x", got, want)
	}
}

func TestGoldenState(t *testing.T) {
	g := golden(t)
	s, err := Decode(payload(t, g["snapshot.liarsdice_player"]).D)
	if err != nil {
		t.Fatal(err)
	}
	if s.Tick != 240 || s.Ack != 2 || s.Hand != 2 || !s.OnesWild || len(s.Players) != 3 || s.Turn == 0 || s.TurnMS != 30000 {
		t.Errorf("state = %+v", s)
	}
	if p, ok := s.Player(3); !ok || p.Dice != 2 || p.Away {
		t.Errorf("player 3 = %+v, %v", p, ok)
	}
	if s.DiceInPlay() != 8 || len(s.Dice) != 3 {
		t.Errorf("%d dice in play, %d of them mine", s.DiceInPlay(), len(s.Dice))
	}
	b, ok := s.Bid()
	if !ok || b != (Bid{Count: 1, Face: 4, Bidder: 3}) {
		t.Errorf("bid = %+v, %v", b, ok)
	}
	for _, tc := range []struct {
		count, face int
		ok          bool
	}{{1, 5, true}, {1, 4, false}, {2, 2, true}, {1, 1, false}, {8, 6, true}, {9, 2, false}, {0, 5, false}} {
		if got := s.Raises(tc.count, tc.face); got != tc.ok {
			t.Errorf("Raises(%d, %d) = %v", tc.count, tc.face, got)
		}
	}
	if s.Reveal == nil || s.Reveal.Hand != 1 || len(s.Reveal.Dice) != 3 || s.Reveal.Actual != 4 {
		t.Fatalf("reveal = %+v", s.Reveal)
	}

	spec, err := Decode(payload(t, g["snapshot.liarsdice_spectator"]).D)
	if err != nil {
		t.Fatal(err)
	}
	if len(spec.Dice) != 0 || spec.Ack != 0 {
		t.Errorf("the spectators' state holds dice %v, ack %d", spec.Dice, spec.Ack)
	}
	spec.Dice, spec.Ack = s.Dice, s.Ack
	if !reflect.DeepEqual(spec, s) {
		t.Errorf("spectators and the player see different tables:\n%+v\n%+v", spec, s)
	}
}

func TestGoldenEvents(t *testing.T) {
	g := golden(t)
	var e wire.Event
	if err := wire.DecodePayload(payload(t, g["event.game_liarsdice_reveal"]).D, &e); err != nil {
		t.Fatal(err)
	}
	var r Reveal
	if err := EventData(e, "reveal", &r); err != nil {
		t.Fatal(err)
	}
	if r.Hand != 1 || r.Count != 2 || r.Face != 3 || r.Loser == 0 || len(r.Dice) != 3 || len(r.Dice[0].Dice) != 3 {
		t.Errorf("reveal = %+v", r)
	}
	if err := EventData(e, "roll", &r); err == nil {
		t.Error("a reveal read as a roll")
	}
	if err := wire.DecodePayload(payload(t, g["event.game_liarsdice_roll"]).D, &e); err != nil {
		t.Fatal(err)
	}
	var roll Roll
	if err := EventData(e, "roll", &roll); err != nil || roll.Hand != 1 || len(roll.Dice) != 3 {
		t.Errorf("roll = %+v, %v", roll, err)
	}
}
