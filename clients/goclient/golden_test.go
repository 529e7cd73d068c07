package goclient

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server/wire"
)

// goldenFile reads one of the server's golden files, server/wire/testdata/name, into v.
func goldenFile(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "server", "wire", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

type goldenVector struct {
	Name string `json:"name"`
	Hex  string `json:"hex"`
	JSON struct {
		T string `json:"t"`
		D struct {
			Code       string          `json:"code"`
			Message    string          `json:"message"`
			RetryAfter int64           `json:"retry_after"`
			Kind       string          `json:"kind"`
			Reason     string          `json:"reason"`
			Player     json.RawMessage `json:"player"` // a Player in events, an id elsewhere
		} `json:"d"`
	} `json:"json"`
}

// TestGoldenEvents: every golden event frame reaches OnEvent with its kind and fields, and the
// kinds that end the membership (kicked, lobby_closed) clear Lobby while the others keep it.
func TestGoldenEvents(t *testing.T) {
	var vs []goldenVector
	goldenFile(t, "golden.json", &vs)
	var got []wire.Event
	c := newConn(nil, "", Options{OnEvent: func(e wire.Event) { got = append(got, e) }})
	defer c.cancel()
	n := 0
	for _, v := range vs {
		if v.JSON.T != wire.TypeEvent {
			continue
		}
		n++
		frame, err := hex.DecodeString(v.Hex)
		if err != nil {
			t.Fatal(err)
		}
		c.setLobby("lk3nbq7zt2mx", 1)
		got = got[:0]
		c.dispatch(frame, time.Now())
		want := v.JSON.D
		var player *wire.PlayerInfo
		if want.Player != nil {
			if err := json.Unmarshal(want.Player, &player); err != nil {
				t.Fatal(err)
			}
		}
		if len(got) != 1 || got[0].Kind != want.Kind || got[0].Reason != want.Reason || (got[0].Player == nil) != (player == nil) ||
			player != nil && *got[0].Player != *player {
			t.Fatalf("%s: OnEvent got %+v, want %+v", v.Name, got, want)
		}
		lobby, _ := c.Lobby()
		ends := want.Kind == wire.EventKicked || want.Kind == wire.EventLobbyClosed
		if ends != (lobby == "") {
			t.Errorf("%s: after it Lobby is %q", v.Name, lobby)
		}
	}
	if n == 0 {
		t.Fatal("golden.json holds no event frames")
	}
}

// TestGoldenErrors: every golden error frame becomes a *ServerError of its code, message and
// wait, which errors.Is matches against the SDK's error of that code, and no other.
func TestGoldenErrors(t *testing.T) {
	var vs []goldenVector
	goldenFile(t, "golden.json", &vs)
	known := []*ServerError{ErrNotFound, ErrLobbyFull, ErrNotInLobby, ErrAlreadyInLobby, ErrForbidden, ErrInvalidRequest, ErrRateLimited}
	for _, v := range vs {
		if v.JSON.T != wire.TypeError {
			continue
		}
		frame, err := hex.DecodeString(v.Hex)
		if err != nil {
			t.Fatal(err)
		}
		env, err := wire.Decode(frame, wire.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		err = errorFrame(env)
		var se *ServerError
		want := v.JSON.D
		if !errors.As(err, &se) || se.Code != want.Code || se.Message != want.Message || se.RetryAfter != time.Duration(want.RetryAfter)*time.Second {
			t.Fatalf("%s: got %#v, want %+v", v.Name, err, want)
		}
		for _, k := range known {
			if errors.Is(err, k) != (k.Code == want.Code) {
				t.Errorf("%s: errors.Is(%v) = %v", v.Name, k, !(k.Code == want.Code))
			}
		}
	}
}

// TestGoldenCloseCodes: every close code of the vocabulary maps onto the SDK's errors as its
// name says, and a Conn made by Connect reconnects after exactly the codes that allow it.
func TestGoldenCloseCodes(t *testing.T) {
	var voc struct {
		CloseCodes map[string]int `json:"close_codes"`
	}
	goldenFile(t, "vocabulary.json", &voc)
	matches := map[string]error{
		"CloseGoingAway":    ErrGoingAway,
		"CloseTokenExpired": ErrExpired,
		"CloseRevoked":      ErrRevoked,
		"ClosePolicy":       ErrPolicy,
	}
	retries := map[string]bool{"CloseGoingAway": true, "CloseTokenExpired": true, "CloseAbnormal": true, "CloseInternalServer": true}
	if len(voc.CloseCodes) == 0 {
		t.Fatal("vocabulary.json holds no close codes")
	}
	for name, code := range voc.CloseCodes {
		err := &CloseError{Code: code, Reason: strings.TrimPrefix(name, "Close")}
		for _, sentinel := range []error{ErrGoingAway, ErrExpired, ErrRevoked, ErrPolicy} {
			if errors.Is(err, sentinel) != (matches[name] == sentinel) {
				t.Errorf("%s (%d): errors.Is(%v) = %v", name, code, sentinel, errors.Is(err, sentinel))
			}
		}
		if retryable(err) != retries[name] {
			t.Errorf("%s (%d): retryable = %v", name, code, retryable(err))
		}
	}
}
