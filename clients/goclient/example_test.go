package goclient_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/tickwire/tickwire/clients/goclient"
	clientarena "github.com/tickwire/tickwire/clients/goclient/arena"
	"github.com/tickwire/tickwire/server/wire"
)

// A complete bot: it signs in as a guest, quick-joins a lobby and chases the nearest coin, one
// input per snapshot. Its Conn renews its token and reconnects on its own, so it could run for
// hours; this one stops after 40 acknowledged inputs.
func Example() {
	ctx := context.Background()
	api := goclient.New(os.Getenv("TICKWIRE_URL")) // like http://localhost:8080
	tok, err := api.Guest(ctx, "bot")
	if err != nil {
		log.Fatal(err)
	}
	conn, err := api.Connect(ctx, tok, goclient.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	joined, err := conn.Join(ctx, wire.Join{Quick: true})
	if err != nil {
		log.Fatal(err)
	}
	var seq uint32
	for raw := range conn.Snapshots() {
		if raw.Ack >= 40 {
			fmt.Println("40 inputs acknowledged")
			return
		}
		s, err := clientarena.Decode(raw) // the arena's client package reads the arena's state
		if err != nil {
			log.Fatal(err)
		}
		me, _ := s.Player(joined.Player)
		dx, dy := float32(400)-me.X, float32(300)-me.Y // the centre, until a coin shows up
		for _, c := range s.Coins {
			if cx, cy := c.X-me.X, c.Y-me.Y; cx*cx+cy*cy < dx*dx+dy*dy {
				dx, dy = cx, cy
			}
		}
		seq++
		if err := clientarena.SendInput(conn, clientarena.Input{Seq: seq, DX: dx / 50, DY: dy / 50}); err != nil {
			log.Print(err) // reconnecting: the next snapshot comes after it
		}
	}
	log.Fatal(conn.Err()) // the connection ended for good
	// Output: 40 inputs acknowledged
}
