package liarsdice

import (
	"errors"

	"github.com/tickwire/tickwire/game"
	"github.com/vmihailenco/msgpack/v5"
)

// input is one decoded input message: a bid of count dice showing face, or a challenge.
type input struct {
	challenge   bool
	count, face int
}

var errInput = errors.New(`an input is {"bid": [count, face]} or {"challenge": true}`)

// decodeInput reads a raw input message: `bid` or `challenge`; `seq` is the engine's, and other
// keys are ignored.
func decodeInput(msg []byte) (input, error) {
	var in input
	var bid []int
	hasBid := false
	f := game.NewFields(msg)
	for f.Next() {
		switch f.Key() {
		case "bid":
			hasBid = true
			if err := msgpack.Unmarshal(f.Raw(), &bid); err != nil {
				return input{}, errInput
			}
		case "challenge":
			in.challenge = f.Bool()
		default:
			f.Skip()
		}
	}
	if err := f.Err(); err != nil {
		return input{}, errInput
	}
	switch {
	case in.challenge && !hasBid:
		return in, nil
	case !in.challenge && len(bid) == 2:
		return input{count: bid[0], face: bid[1]}, nil
	}
	return input{}, errInput
}
