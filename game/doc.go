// Package game is Tickwire's engine: lobbies, their tick loops, membership and the registry
// that finds them. A game's rules live behind the Game interface in a folder of their own
// (game/arena is the default); the engine owns timing, queues, membership and broadcast. It
// knows nothing of sockets: a connection takes part through the Member interface.
//
// Concurrency: each Lobby's state belongs to the goroutine running Lobby.Run. Other goroutines
// reach it only through Lobby's methods, which queue work for that goroutine (joins, leaves,
// host commands) or append to its bounded input inbox. Member methods are called from the
// lobby's goroutine and must never block.
package game
