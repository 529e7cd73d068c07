// Package store keeps Tickwire's state in SQLite: accounts, sessions, revoked token ids and
// match results. It implements the interfaces that auth and game declare.
//
// Concurrency: one writer connection serialises every write (SQLite allows one writer at a
// time, and queuing in Go is cheaper than SQLITE_BUSY retries); a pool of read-only
// connections serves queries concurrently under WAL. Every write is committed (synchronous=FULL)
// before its method returns. Another process (the command line) may write to the same file:
// busy_timeout makes it wait for the server's writer. The schema is versioned by PRAGMA user_version and brought up to date at
// Open by the migrations embedded from migrations/, each applied in one transaction.
package store
