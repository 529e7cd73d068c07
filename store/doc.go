// Package store keeps Tickwire's state in SQLite: accounts, sessions, revoked token ids and
// match results. It implements the interfaces that auth and game declare.
//
// Concurrency: one writer connection serialises every write (SQLite allows one writer at a
// time, and queuing in Go is cheaper than SQLITE_BUSY retries); a pool of reader connections
// serves queries concurrently under WAL. Every write is committed before its method returns.
package store
