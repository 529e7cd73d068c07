// Package server wires Tickwire together: the Echo routes of the HTTP API, the socket sessions
// that join lobbies, metrics, and the command line. It is the one package that knows every
// concrete piece: it opens the store, builds the auth service and the game registry, and
// registers the default game.
//
// Concurrency: each socket has one reader goroutine, and a writer goroutine that runs only while
// it has frames to send. Lobbies call into a connection only through its non-blocking Snapshot
// and Event methods.
package server
