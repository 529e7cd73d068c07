// Package server wires Tickwire together: the Echo routes of the HTTP API, the socket sessions
// that join lobbies, metrics, and the command line. It is the one package that knows every
// concrete piece: it opens the store, builds the auth service and the game registry, and
// registers the default game.
//
// # Layout
//
// The file names say what each holds:
//   - wiring.go is the composition root: the store, the signing keys, the auth service, OpenID
//     Connect and the game registry are built there, from a Config, for `tickwire serve` and
//     for the offline commands alike;
//   - server.go is the server's lifecycle: Open, Serve, Wait and Shutdown; the background jobs
//     it runs are purge.go, resultsprune.go and datasync.go (what commands change in the data
//     folder, carried into a running server);
//   - cli.go is Main and the dispatch of commands, one file each: cli_serve.go, cli_user.go,
//     cli_sessions.go, cli_keys.go, cli_backup.go, cli_invites.go;
//   - api.go is the route table of the HTTP API; api_*.go are its handlers by area (api_auth,
//     api_oidc, api_admin, api_lobbies, api_health, api_assets for the browser client) and its
//     middleware (api_accesslog, api_clientip, api_crosssite, api_publicreads, api_signup,
//     api_registration); errors.go maps every error to its HTTP status and JSON body;
//   - the socket sessions: ws.go (the upgrade at /ws), conn.go with reader.go, writer.go,
//     frames.go, reauth.go and closing.go (a session: its reads, writes, reauth and close),
//     connset.go (the open sockets), wsframe.go and rawsys_*.go (RFC 6455 framing and the
//     Linux fast path beside the portable one);
//   - config.go, config_file.go and config_oidc.go are the settings: flags, environment and
//     the TOML file; throttle.go and budgets.go the per-address and per-account limits;
//     metrics.go and pprof.go what operators observe.
//
// Beside it, server/wire holds the protocol's vocabulary and frames, and server/servertest
// runs a real server on loopback for tests.
//
// Concurrency: each socket has one reader goroutine, a writer goroutine that runs only while it
// has frames to send, and one timer (pings, the reauth warning, the expiry). Lobbies call into a
// connection only through its non-blocking Snapshot and Event methods; a socket's mutex is never
// held across I/O.
package server
