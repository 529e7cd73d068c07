package server

import (
	"fmt"
	"time"
)

// runKeys is `tickwire keys rotate`: it adds a new signing key to the data folder; the older
// keys keep verifying.
func runKeys(env Env, args []string) error {
	if len(args) == 0 || args[0] != "rotate" {
		return &FlagError{"keys needs rotate"}
	}
	data, rest, err := dataFlags(env, "keys rotate", args[1:], nil)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return &FlagError{"keys rotate takes no arguments"}
	}
	ks, err := openKeys(data, time.Now)
	if err != nil {
		return err
	}
	k, err := ks.Rotate(time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "new signing key %s\n", k.ID)
	return nil
}
