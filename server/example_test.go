package server_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"os"

	"github.com/tickwire/tickwire/clients/goclient"
	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/wire"
	"github.com/vmihailenco/msgpack/v5"
)

// counter is a whole game: every input {"by": n} adds n to the lobby's count, or its step
// option when by is left out, and every snapshot shows the count.
type counter struct{ step, count int }

func (c *counter) Join(game.Player) error                      { return nil }
func (c *counter) Leave(game.PlayerID, bool)                   {}
func (c *counter) Tick(*game.Tick)                             {}
func (c *counter) ViewOf(game.Player) game.View                { return 0 } // everyone sees the same
func (c *counter) WriteState(_ game.View, w *game.StateWriter) { w.Key("count"); w.Int(int64(c.count)) }

func (c *counter) Input(_ game.PlayerID, msg []byte) error {
	by := int64(c.step)
	f := game.NewFields(msg)
	for f.Next() {
		if f.Key() == "by" {
			by = f.Int()
		} else {
			f.Skip()
		}
	}
	c.count += int(by)
	return f.Err()
}

// counterGame is the counter as a server offers it: its name, its bounds, its options.
func counterGame() game.Definition {
	return game.Definition{
		Name: "counter", DisplayName: "Counter", MinPlayers: 1, MaxPlayers: 8,
		Options: []game.Option{{Name: "step", Type: game.OptionInt, Default: 1, Min: 1, Max: 10, Description: "what an input adds"}},
		New:     func(c game.Config) (game.Game, error) { return &counter{step: c.Options.Int("step")}, nil },
	}
}

// A program of its own runs Tickwire with its own games beside Tickwire's (or, with a list of
// its own, instead of them) and keeps every feature: accounts and guests, tokens and reauth,
// lobbies, limits, results, metrics. Here it serves on a loopback port, and a client of the Go
// SDK lists the games, creates a counter lobby with an option, and plays it.
func Example_library() {
	ctx := context.Background()
	data, err := os.MkdirTemp("", "tickwire-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(data)

	cfg := server.DefaultConfig()
	cfg.Data, cfg.Addr = data, "127.0.0.1:0"
	cfg.Games = append(server.Games(cfg), counterGame())
	srv, err := server.Open(ctx, cfg, nil)
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		log.Fatal(err)
	}
	if err := srv.Serve(ctx, ln); err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown(ctx)

	base := "http://" + ln.Addr().String()
	api := goclient.New(base)
	tok, err := api.Guest(ctx, "ada")
	if err != nil {
		log.Fatal(err)
	}
	games, err := api.Games(ctx, tok.AccessToken)
	if err != nil {
		log.Fatal(err)
	}
	for _, g := range games {
		fmt.Printf("%s (%s), %d options\n", g.Name, g.DisplayName, len(g.Options))
	}

	// A snapshot's state is the game's own: this client reads the counter's from the wire.
	counts := make(chan int, 1)
	conn, err := api.Connect(ctx, tok, goclient.Options{OnSnapshot: func(s *goclient.RawSnapshot) {
		var state struct {
			Count int `msgpack:"count"`
		}
		if s.Ack == 1 && msgpack.Unmarshal(s.D, &state) == nil {
			select {
			case counts <- state.Count:
			default:
			}
		}
	}})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	j, err := conn.Create(ctx, wire.Create{Game: "counter", Options: map[string]any{"step": 3}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("created a %s lobby, %s\n", j.Lobby.Game, j.Lobby.State)
	if err := conn.SendInput(1, 0, nil); err != nil { // no fields of its own: add the step
		log.Fatal(err)
	}
	fmt.Println("count", <-counts)
	// Output:
	// arena (Arena), 0 options
	// liarsdice (Liar's Dice), 3 options
	// counter (Counter), 1 options
	// created a counter lobby, running
	// count 3
}
