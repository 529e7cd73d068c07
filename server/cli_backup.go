package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tickwire/tickwire/store"
)

// runBackup is `tickwire backup FILE`: an online copy of the database, safe while a server runs.
func runBackup(ctx context.Context, env Env, args []string) error {
	data, rest, err := dataFlags(env, "backup", args, nil)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return &FlagError{"backup takes one FILE"}
	}
	// Opening a missing database would create an empty one and back that up.
	if _, err := os.Stat(filepath.Join(data, store.FileName)); err != nil {
		return fmt.Errorf("no database in --data %s: %w", data, err)
	}
	// The copy holds password hashes: make it private before SQLite writes into it. O_EXCL
	// makes sure a backup never overwrites anything.
	f, err := os.OpenFile(rest[0], os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f.Close()
	db, err := openStore(ctx, data)
	if err != nil {
		os.Remove(rest[0])
		return err
	}
	defer db.Close()
	if err := db.Backup(ctx, rest[0]); err != nil {
		os.Remove(rest[0])
		return err
	}
	fmt.Fprintf(env.Stdout, "backed up to %s\n", rest[0])
	return nil
}
