package server

import (
	"context"
	"flag"
	"fmt"
	"time"
)

// runInvites is `tickwire invites create|list|revoke`, on the data folder. The server reads
// invites from the database at each registration, so they take effect at once.
func runInvites(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return &FlagError{"invites needs create, list or revoke"}
	}
	sub := args[0]
	var uses int
	var ttl time.Duration
	var note string
	data, rest, err := dataFlags(env, "invites "+sub, args[1:], func(fs *flag.FlagSet) {
		if sub == "create" {
			fs.IntVar(&uses, "uses", 1, "how many accounts the code may make (1 to 1000)")
			fs.DurationVar(&ttl, "ttl", DefaultInviteTTL, "how long the code works (1m to 8760h)")
			fs.StringVar(&note, "note", "", "a reminder of whom it is for (up to 200 bytes)")
		}
	})
	if err != nil {
		return err
	}
	want := 0
	switch sub {
	case "create", "list":
	case "revoke":
		want = 1
	default:
		return &FlagError{fmt.Sprintf("unknown invites command %q", sub)}
	}
	if len(rest) != want {
		return &FlagError{fmt.Sprintf("invites %s takes %d arguments, got %d", sub, want, len(rest))}
	}
	if sub == "create" {
		switch {
		case uses < 1 || uses > MaxInviteUses:
			return &FlagError{"invalid value for --uses: must be 1 to 1000"}
		case ttl < time.Minute || ttl > MaxInviteTTL:
			return &FlagError{"invalid value for --ttl: must be 1m to 8760h"}
		case len(note) > inviteNoteMaxSize:
			return &FlagError{"invalid value for --note: at most 200 bytes"}
		}
	}
	db, err := openStore(ctx, data)
	if err != nil {
		return err
	}
	defer db.Close()
	now := time.Now()
	switch sub {
	case "create":
		inv, err := newInvite(ctx, db, "cli", note, uses, ttl, now)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, inv.Code)
	case "list":
		invs, err := db.ListInvites(ctx, now, maxInvitesListed)
		if err != nil {
			return err
		}
		for _, inv := range invs {
			fmt.Fprintf(env.Stdout, "%s\tuses %d/%d\texpires %s\tby %s\t%s\n", inv.Code, inv.Uses, inv.MaxUses,
				inv.ExpiresAt.UTC().Format(time.RFC3339), inv.CreatedBy, inv.Note)
		}
	case "revoke":
		ok, err := db.DeleteInvite(ctx, rest[0])
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("no invite %q", rest[0])
		}
		fmt.Fprintln(env.Stdout, "revoked")
	}
	return nil
}
