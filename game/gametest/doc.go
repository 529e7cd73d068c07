// Package gametest helps test the engine and the games built on it: a Clock that a test steps
// by hand, so that lobbies tick deterministically and without sleeping, and a Member that
// records what its lobby tells it.
//
// Clock and Member are safe for concurrent use.
package gametest
