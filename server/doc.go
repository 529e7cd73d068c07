// Package server wires Tickwire together: the Echo routes of the HTTP API, the socket sessions
// that join lobbies, metrics, and the command line. It is the one package that knows every
// concrete piece: it opens the store, builds the auth service and the game registry, and
// registers the default game.
//
// Concurrency: each socket has one reader goroutine, a writer goroutine that runs only while it
// has frames to send, and one timer (pings, the reauth warning, the expiry). Lobbies call into a
// connection only through its non-blocking Snapshot and Event methods; a socket's mutex is never
// held across I/O.
package server
