package server

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/tickwire/tickwire/auth"
)

// runUser is `tickwire user add|ban|unban|list|scopes`, on the data folder through the auth
// service, so that a ban ends the account's sessions as the admin route does.
func runUser(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return &FlagError{"user needs add, ban, unban, list or scopes"}
	}
	sub := args[0]
	var admin bool
	data, rest, err := dataFlags(env, "user "+sub, args[1:], func(fs *flag.FlagSet) {
		if sub == "add" {
			fs.BoolVar(&admin, "admin", false, "grant the admin scope")
		}
	})
	if err != nil {
		return err
	}
	var scopes []string
	switch {
	case sub == "list":
		if len(rest) != 0 {
			return &FlagError{"user list takes no arguments"}
		}
	case sub == "scopes":
		if len(rest) != 2 {
			return &FlagError{"user scopes takes a NAME and its SCOPES, like: user scopes alice play"}
		}
		if scopes, err = parseScopes(rest[1]); err != nil {
			return err
		}
	case len(rest) != 1:
		return &FlagError{fmt.Sprintf("user %s takes one NAME", sub)}
	}
	p, err := offline(ctx, data)
	if err != nil {
		return err
	}
	defer p.db.Close()
	svc, db := p.auth, p.db
	switch sub {
	case "add":
		line, err := bufio.NewReader(io.LimitReader(env.Stdin, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read password: %w", err)
		}
		a, err := svc.Register(ctx, rest[0], strings.TrimRight(line, "\r\n"), admin)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "created %s (id %s, scopes %s)\n", a.Username, a.ID, a.Scope())
	case "ban", "unban":
		a, err := svc.SetBanned(ctx, rest[0], sub == "ban")
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%sned %s\n", sub, a.Username)
	case "scopes":
		a, _, err := db.AccountByName(ctx, rest[0])
		if err != nil {
			return err
		}
		if err := db.SetScopes(ctx, a.ID, scopes); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s now has scopes %s; its tokens carry them from its next login or refresh\n", a.Username, strings.Join(scopes, " "))
	case "list":
		accts, err := db.ListAccounts(ctx, 10000)
		if err != nil {
			return err
		}
		for _, a := range accts {
			state := "active"
			if a.Disabled {
				state = "banned"
			}
			fmt.Fprintf(env.Stdout, "%s\t%s\t%s\t%s\n", a.Username, a.ID, a.Scope(), state)
		}
	default:
		return &FlagError{fmt.Sprintf("unknown user command %q", sub)}
	}
	return nil
}

// parseScopes reads a list of scopes separated by commas or spaces: play, host and admin.
func parseScopes(s string) ([]string, error) {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		if f != auth.ScopePlay && f != auth.ScopeHost && f != auth.ScopeAdmin {
			return nil, &FlagError{fmt.Sprintf("user scopes: %q is not a scope (play, host or admin)", f)}
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, &FlagError{"user scopes: name at least one scope (play, host or admin)"}
	}
	return out, nil
}
