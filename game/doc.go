// Package game is Tickwire's engine: lobbies, their tick loops, membership and the registry
// that finds them. A game's rules live behind the Game interface in a folder of their own
// (game/arena, game/liarsdice); the engine owns timing, input queues, membership, snapshots and
// events. It knows nothing of sockets: a connection takes part through the Member interface.
//
// # Writing a game
//
// A game is a Definition: its name, player bounds, tick and snapshot rates, create options and
// New, which makes one Game per lobby from a Config (rates, size, a seed, the validated
// Options and a Dispatcher). The Example is a complete game in about a hundred lines. What the
// engine asks of a Game, always on the lobby's goroutine:
//
//   - Join is the join attempt: an error refuses the seat with its text. Spectators join too,
//     with Player.Spectator set. Leave says whether the member meant to go (a leave frame) or
//     not (its seat's grace ran out, it was kicked).
//   - Input hands over one input message: the raw msgpack map of the input frame's d, seq
//     included, already through the wire's bounded validation. The game reads its fields with
//     Fields, which allocates nothing; an error answers the sender invalid_request. The engine
//     keeps seq and the snapshot's ack, arrival order across seats, and each seat's queue and
//     its bounds (Limits.InputQueue, Limits.InputBytes).
//   - Tick advances the game by one period of its tick rate (a fixed step: the game's time is
//     the same whatever the load).
//   - ViewOf names the view each member sees and WriteState writes a view's state, once per
//     distinct view per snapshot: a game that hides nothing gives everyone one view and is
//     encoded once; a game of hidden hands gives each player its own and the spectators one.
//     Snapshots go every ceil(tick rate / snapshot rate) ticks (Definition.SnapshotRate,
//     bounded by Limits.MaxSnapshotRate), so a game may simulate at 60 Hz and send at 20.
//   - Optional interfaces: Connections hears of a seated player's socket dropping and coming
//     back within the grace; Terminator hears the lobby close; Rounds hands the lobby's phases
//     (waiting, running, finished), the host's start, quick lobbies' automatic start and the
//     recording of each round's scores to the engine. A game without Rounds runs from its
//     lobby's creation.
//   - Config.Out, the Dispatcher, sends reliable game events to some seats or to all, beside
//     the snapshots, and Finish records a match's scores.
//
// # Ticks
//
// A lobby ticks on a fixed schedule at its rate (1 to 128 Hz) from a Clock, from creation until
// it closes, in every state, whenever a member is connected. Each tick applies the inputs
// queued since the last one in arrival order, steps the game by one period, and when a
// snapshot is due encodes each distinct view once and hands every member its view's bytes plus
// its own tick and ack. Run documents the overrun policy.
//
// # Concurrency
//
// Each Lobby's state belongs to the goroutine running Lobby.Run. Other goroutines reach it
// only through Lobby's methods, which queue work for that goroutine (joins, leaves, host
// commands) and wait for it, or append to their seat's bounded input queue under its mutex.
// Member methods are called from the lobby's goroutine and must never block; a Game's methods
// are called from it alone, so a Game needs no locks. Registry is safe for concurrent use.
package game
