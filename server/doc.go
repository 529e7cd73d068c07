// Package server wires Tickwire together: the Echo routes of the HTTP API, the socket sessions
// that join lobbies, metrics, and the command line. It is the one package that knows every
// concrete piece: it opens the store, builds the auth service and the game registry, and
// offers the games of one list (Games), the default first.
//
// # Tickwire as a library
//
// A program of its own runs Tickwire with its own games, beside Tickwire's or instead of them,
// and keeps every feature: Main with Env.Games for the whole command line, or Open and Serve
// with Config.Games inside a larger program (the example below). A game is a game.Definition;
// Open refuses a list that game.CheckDefinitions finds wrong.
//
// # Layout
//
// The file names say what each holds:
//   - wiring.go is the composition root: the store, the signing keys, the auth service, OpenID
//     Connect and the game registry are built there, from a Config, for `tickwire serve` and
//     for the offline commands alike; Games there is the one list of the games a server
//     offers, which Config.Games (or Env.Games) replaces for a program of its own;
//   - server.go is the server's lifecycle: Open, Serve, Wait and Shutdown; the background jobs
//     it runs are purge.go, resultsprune.go and datasync.go (what commands change in the data
//     folder, carried into a running server);
//   - cli.go is Main and the dispatch of commands, one file each: cli_serve.go, cli_user.go,
//     cli_sessions.go, cli_keys.go, cli_backup.go, cli_invites.go;
//   - api.go is the route table of the HTTP API; api_*.go are its handlers by area (api_auth,
//     api_oidc, api_admin, api_lobbies, api_games, api_health, api_assets for the browser
//     client) and its middleware (api_accesslog, api_clientip, api_crosssite, api_publicreads, api_signup,
//     api_registration); errors.go maps every error to its HTTP status and JSON body;
//   - the socket sessions: ws.go (the upgrade at /ws), conn.go, conn_io.go, frames.go and
//     reauth.go (a session: its requests, what it hears from and hands to its socket, the
//     engine's types as frames, reauth and expiry), connset.go (the open sockets); the socket
//     itself, RFC 6455 framing, the read path, the write queue, the closing handshake and the
//     Linux fast path beside the portable one, is server/ws;
//   - config.go, config_file.go and config_oidc.go are the settings: flags, environment and
//     the TOML file; throttle.go and budgets.go the per-address and per-account limits;
//     metrics.go and pprof.go what operators observe.
//
// Beside it, server/ws is the WebSocket connection after the handshake, server/wire holds the
// protocol's vocabulary and frames, and server/servertest runs a real server on loopback for
// tests.
//
// Concurrency: each socket is a ws.Conn (server/ws) under a session (conn): the transport
// delivers the client's messages to the session, inputs from its poller on Linux (conn.Quick)
// and the rest from the socket's own reader goroutine, a writer goroutine runs only
// while it has frames to send, and one timer serves both (pings; the reauth warning and the
// expiry). Lobbies call into a session only through its non-blocking Snapshot and Event
// methods; no socket's mutex is held across I/O.
package server
