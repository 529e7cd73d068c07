package server

import (
	"context"
	"fmt"
	"time"
)

// runSessions is `tickwire sessions revoke NAME`: it ends every live session of an account.
func runSessions(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "revoke" {
		return &FlagError{"sessions needs revoke NAME"}
	}
	data, rest, err := dataFlags(env, "sessions revoke", args[1:], nil)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return &FlagError{"sessions revoke takes one NAME"}
	}
	p, err := offline(ctx, data)
	if err != nil {
		return err
	}
	defer p.db.Close()
	svc, db := p.auth, p.db
	a, _, err := db.AccountByName(ctx, rest[0])
	if err != nil {
		return err
	}
	sids, err := db.LiveSessions(ctx, a.ID, time.Now())
	if err != nil {
		return err
	}
	for _, sid := range sids {
		if err := svc.EndSession(ctx, sid, a.ID, "revoked"); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.Stdout, "ended %d sessions of %s\n", len(sids), a.Username)
	return nil
}
