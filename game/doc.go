// Package game is Tickwire's engine: lobbies, their tick loops, membership and the registry
// that finds them. A game's rules live behind the Game interface in a folder of their own
// (game/arena is the default); the engine owns timing, queues, membership and broadcast. It
// knows nothing of sockets: a connection takes part through the Member interface.
//
// A lobby ticks on a fixed schedule at its rate (1 to 128 Hz) from a Clock, from creation until
// it closes, in every state (waiting, running, finished), whenever a member is connected. Each
// tick applies the inputs queued since the last one in arrival order, steps the game by one
// period, encodes the shared state once and hands every member its snapshot (the shared bytes
// plus its own tick and ack). Run documents the overrun policy.
//
// Concurrency: each Lobby's state belongs to the goroutine running Lobby.Run. Other goroutines
// reach it only through Lobby's methods, which queue work for that goroutine (joins, leaves,
// host commands) and wait for it, or append to their seat's bounded input queue under its mutex. Member
// methods are called from the lobby's goroutine and must never block; a Game's methods are
// called from it alone, so a Game needs no locks. Registry is safe for concurrent use.
package game
