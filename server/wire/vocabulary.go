package wire

// The protocol's vocabulary: every frame type, close code, error code and event kind, declared
// here once and used by the server, the engine and the Go client. testdata/vocabulary.json is
// the same list for clients in other languages (TestVocabulary keeps the two alike; the browser
// client's test reads the file). Names and values never change: a client may already depend on
// any of them. PROTOCOL.md says what each one means.

// Frame types, client to server.
const (
	TypePing   = "ping"
	TypeCreate = "create"
	TypeJoin   = "join"
	TypeLeave  = "leave"
	TypeInput  = "input"
	TypeReauth = "reauth"
	TypeStart  = "start"
	TypeKick   = "kick"
)

// Frame types, server to client.
const (
	TypePong           = "pong"
	TypeWelcome        = "welcome"
	TypeJoined         = "joined"
	TypeLeft           = "left"
	TypeSnapshot       = "snapshot"
	TypeEvent          = "event"
	TypeReauthRequired = "reauth_required"
	TypeReauthOK       = "reauth_ok"
	TypeError          = "error"
	TypeOK             = "ok"
)

// Close codes: those of RFC 6455 that the server sends or reads, and the server's own.
const (
	// CloseNormal answers a client's close frame that carried no code.
	CloseNormal = 1000
	// CloseGoingAway: the server is shutting down.
	CloseGoingAway = 1001
	// CloseProtocolError: a WebSocket frame that breaks RFC 6455.
	CloseProtocolError = 1002
	// CloseUnsupported: a text message; the protocol is binary.
	CloseUnsupported = 1003
	// CloseNoStatus is what a close frame without a code reads as; it is never sent.
	CloseNoStatus = 1005
	// CloseAbnormal is what a client reports when the connection dropped without a close
	// frame; it is never sent.
	CloseAbnormal = 1006
	// CloseInvalidPayload: a close frame whose reason is not UTF-8.
	CloseInvalidPayload = 1007
	// CloseTooLarge: a message over the size limit.
	CloseTooLarge = 1009
	// CloseInternalServer: the server failed.
	CloseInternalServer = 1011
	// CloseTokenExpired: the token's exp passed without a successful reauth.
	CloseTokenExpired = 4001
	// CloseRevoked: the session ended (logout, ban, refresh-token reuse).
	CloseRevoked = 4003
	// ClosePolicy: over the message rate, a malformed frame, or a client too slow to keep up.
	ClosePolicy = 4008
)

// Error codes, as error frames carry them in code and HTTP error bodies in error. One code means
// the same wherever it appears.
const (
	CodeInvalidRequest      = "invalid_request"      // a field has the wrong type or range, or the request is incomplete
	CodeUnknownType         = "unknown_type"         // a frame of no known type
	CodeNotFound            = "not_found"            // no lobby, account, invite, provider or route of that name
	CodeLobbyFull           = "lobby_full"           // no seat left
	CodeNotInLobby          = "not_in_lobby"         // a lobby request from a socket in none
	CodeAlreadyInLobby      = "already_in_lobby"     // create or join from a socket in a lobby
	CodeForbidden           = "forbidden"            // a scope or the host's right is missing, or another site's page
	CodeInvalidCredentials  = "invalid_credentials"  // unknown username or wrong password, alike
	CodeInvalidToken        = "invalid_token"        // a token missing, malformed or that does not verify
	CodeTokenExpired        = "token_expired"        // a token, or its session, past its time
	CodeTokenRevoked        = "token_revoked"        // a token of a session that ended
	CodeWrongAccount        = "wrong_account"        // a reauth token of another account
	CodeAccountDisabled     = "account_disabled"     // a banned account
	CodeUsernameTaken       = "username_taken"       // registering a name that exists
	CodeRateLimited         = "rate_limited"         // over a budget; a retry-after says when to ask again
	CodeRefused             = "refused"              // the game or the server refused, e.g. too many lobbies
	CodeLobbyClosed         = "lobby_closed"         // the lobby closed while the request waited
	CodeMoved               = "moved"                // the lobby is on another node of a cluster
	CodeInternal            = "internal"             // the server failed; the message says no more
	CodeUnavailable         = "unavailable"          // a part the request needs is busy or down; try again shortly
	CodeNotReady            = "not_ready"            // the server cannot serve yet: its database does not answer
	CodeShuttingDown        = "shutting_down"        // the server is stopping
	CodeTooManyConnections  = "too_many_connections" // over the open-socket limits
	CodeOriginNotAllowed    = "origin_not_allowed"   // a browser origin outside --origins
	CodeMethodNotAllowed    = "method_not_allowed"   // an HTTP method the route does not take
	CodePayloadTooLarge     = "payload_too_large"    // an HTTP body over the limit
	CodeRegistrationClosed  = "registration_closed"  // no new accounts, or a guest where only members play
	CodeInviteRequired      = "invite_required"      // registration by invitation, without one
	CodeInviteInvalid       = "invite_invalid"       // an invite unknown, used up or expired
	CodeOIDCState           = "oidc_state"           // a sign-in state missing, unknown, expired, used or not this browser's
	CodeOIDCDenied          = "oidc_denied"          // the provider answered error=
	CodeOIDCFailed          = "oidc_failed"          // the code exchange or the ID token was refused
	CodeIdentityTaken       = "identity_taken"       // linking an identity another account holds
	CodeLastLoginMethod     = "last_login_method"    // unlinking the account's only way in
	CodeProviderUnavailable = "provider_unavailable" // the provider's discovery document cannot be had
)

// Event kinds, as event frames carry them in kind.
const (
	EventPlayerJoined       = "player_joined"       // player took a seat
	EventPlayerLeft         = "player_left"         // player gave up a seat, for reason
	EventPlayerDisconnected = "player_disconnected" // player's socket dropped; the seat waits
	EventPlayerReconnected  = "player_reconnected"  // player's account came back to its seat
	EventState              = "state"               // the lobby's state changed to state
	EventKicked             = "kicked"              // you were removed, for reason
	EventHostChanged        = "host_changed"        // the host left and player is the new host
	EventRoundOver          = "round_over"          // a round ended with scores
	EventLobbyClosed        = "lobby_closed"        // the lobby closed
	EventGame               = "game"                // the game's own event name, with data
)
