// Package servertest runs a real Tickwire for a test: the whole server, on a loopback port,
// with a fresh SQLite database in t.TempDir(), stopped (and its stop checked) when the test
// ends. Nothing is mocked: a test speaks HTTP and WebSocket to it as a client does.
//
// What it offers, by file:
//   - server.go: Start (with a config mutator and the options LogText or LogJSON), Stop,
//     Restart on the same address and data folder, WSURL;
//   - http.go: Client (requests from a chosen loopback address, so per-address limits can be
//     tested), Reply, Tokens, Register, Login, Guest, SignUp, WantError, and Call for a JSON
//     request decoded into a map;
//   - socket.go: Dial (a socket that has read its welcome), DialRaw and DialWelcome for
//     refusals, ReadEnvelope, ReadAny, WriteEnvelope, DecodePayload, WaitClose and CloseCode,
//     Claims, and Mint for tokens the API does not hand out;
//   - metrics.go: Metric reads one series from /metrics; Eventually polls what only polling
//     can see;
//   - main.go: RunMain runs one tickwire command, StartMain runs `tickwire serve` through
//     server.Main as the binary does;
//   - buffer.go: Buffer, which a server writes while the test reads.
//
// A test of a socket refused for a missing scope reads:
//
//	func TestHostNeedsScope(t *testing.T) {
//		srv := servertest.Start(t, func(c *server.Config) { c.GuestScopes = []string{"play"} })
//		ws := srv.Dial(t, srv.Guest(t, "ann").AccessToken)
//		servertest.WriteEnvelope(t, ws, wire.TypeCreate, 1, wire.Create{Name: "room"})
//		if env := servertest.ReadEnvelope(t, ws); env.T != wire.TypeError {
//			t.Fatalf("create without host: %s, want error", env.T)
//		}
//	}
//
// Helpers that fail the test call t.Fatal and so belong on the test's goroutine; Call,
// CloseCode, DialRaw and DialWelcome return what they saw instead, for other goroutines and
// for refusals.
package servertest
