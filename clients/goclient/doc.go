// Package goclient is the Go SDK for Tickwire: the HTTP API (sign-up, login, refresh) and a
// socket that joins lobbies, sends inputs and receives snapshots and events.
//
// It imports nothing of Tickwire's but server/wire, so a bot built on it depends on the
// protocol alone.
package goclient
