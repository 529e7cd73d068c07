// The frames of protocol v1 as the browser client uses them (PROTOCOL.md has the whole story).

/** Subprotocol is the protocol the server answers with. */
export const Subprotocol = "tickwire.v1";

/** BearerPrefix starts the subprotocol entry that carries the access token. */
export const BearerPrefix = "bearer.";

// The protocol's vocabulary, as server/wire/vocabulary.go declares it: the codec test checks
// these against server/wire/testdata/vocabulary.json, so a name or value that differs from the
// server's fails it.

/** FrameType is every frame's t. */
export const FrameType = {
  Ping: "ping",
  Create: "create",
  Join: "join",
  Leave: "leave",
  Input: "input",
  Reauth: "reauth",
  Start: "start",
  Kick: "kick",
  Pong: "pong",
  Welcome: "welcome",
  Joined: "joined",
  Left: "left",
  Snapshot: "snapshot",
  Event: "event",
  ReauthRequired: "reauth_required",
  ReauthOK: "reauth_ok",
  Error: "error",
  OK: "ok",
} as const;

/** Close holds the close codes the server sends, and those a client sees of RFC 6455. */
export const Close = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  Unsupported: 1003,
  NoStatus: 1005,
  Abnormal: 1006,
  InvalidPayload: 1007,
  TooLarge: 1009,
  InternalServer: 1011,
  TokenExpired: 4001,
  Revoked: 4003,
  Policy: 4008,
} as const;

/** ErrorCode is every code an error frame or an HTTP error body carries. */
export const ErrorCode = {
  InvalidRequest: "invalid_request",
  UnknownType: "unknown_type",
  NotFound: "not_found",
  LobbyFull: "lobby_full",
  NotInLobby: "not_in_lobby",
  AlreadyInLobby: "already_in_lobby",
  Forbidden: "forbidden",
  InvalidCredentials: "invalid_credentials",
  InvalidToken: "invalid_token",
  TokenExpired: "token_expired",
  TokenRevoked: "token_revoked",
  WrongAccount: "wrong_account",
  AccountDisabled: "account_disabled",
  UsernameTaken: "username_taken",
  RateLimited: "rate_limited",
  Refused: "refused",
  LobbyClosed: "lobby_closed",
  Moved: "moved",
  Internal: "internal",
  Unavailable: "unavailable",
  NotReady: "not_ready",
  ShuttingDown: "shutting_down",
  TooManyConnections: "too_many_connections",
  OriginNotAllowed: "origin_not_allowed",
  MethodNotAllowed: "method_not_allowed",
  PayloadTooLarge: "payload_too_large",
  RegistrationClosed: "registration_closed",
  InviteRequired: "invite_required",
  InviteInvalid: "invite_invalid",
  OIDCState: "oidc_state",
  OIDCDenied: "oidc_denied",
  OIDCFailed: "oidc_failed",
  IdentityTaken: "identity_taken",
  LastLoginMethod: "last_login_method",
  ProviderUnavailable: "provider_unavailable",
} as const;

/** EventKind is every event's kind. */
export const EventKind = {
  PlayerJoined: "player_joined",
  PlayerLeft: "player_left",
  PlayerDisconnected: "player_disconnected",
  PlayerReconnected: "player_reconnected",
  State: "state",
  Kicked: "kicked",
  HostChanged: "host_changed",
  RoundOver: "round_over",
  LobbyClosed: "lobby_closed",
  Game: "game",
} as const;

export type ErrorCodeName = (typeof ErrorCode)[keyof typeof ErrorCode];
export type EventKindName = (typeof EventKind)[keyof typeof EventKind];

export interface Account {
  id: string;
  username: string;
}

export interface Welcome {
  protocol: number;
  account: Account;
  exp: number;
  server_time: number;
}

export interface PlayerInfo {
  id: number;
  name: string;
  host?: boolean;
  spectator?: boolean;
  connected: boolean;
}

export type LobbyState = "waiting" | "running" | "finished" | "closed";

export interface LobbyInfo {
  id: string;
  name: string;
  game: string;
  code?: string;
  state: LobbyState;
  tick_rate: number;
  max_players: number;
  players: PlayerInfo[];
}

export interface Joined {
  lobby: LobbyInfo;
  player: number;
}

export interface Score {
  player: number;
  name: string;
  score: number;
}

export interface LobbyEvent {
  kind: EventKindName;
  player?: PlayerInfo;
  state?: LobbyState;
  reason?: string;
  scores?: Score[];
  /** lobby, name and data are a game event's (kind game): the game's own event and its data. */
  lobby?: string;
  name?: string;
  data?: unknown;
}

/** ArenaPlayer is [id, x, y, vx, vy, score]. */
export type ArenaPlayer = [number, number, number, number, number, number];

/** ArenaCoin is [id, x, y]. */
export type ArenaCoin = [number, number, number];

/** Snapshot is one tick of the default game, the arena. */
export interface Snapshot {
  tick: number;
  ack: number;
  w: number;
  h: number;
  round_ms: number;
  players: ArenaPlayer[];
  coins: ArenaCoin[];
}

export interface ErrorPayload {
  code: string;
  message: string;
  /** With code moved: the socket endpoint of the node that hosts the lobby. */
  url?: string;
  /** With code moved: the join to send there. */
  join?: unknown;
}

export interface Pong {
  c: number;
  s: number;
}

export interface Expiry {
  exp: number;
}

/** Lobby is one row of GET /api/v1/lobbies. */
export interface Lobby {
  id: string;
  name: string;
  game: string;
  players: number;
  max_players: number;
  state: LobbyState;
  tick_rate: number;
}

/** GameOption describes one option create takes for a game: its type, its default and its
 * bounds (an int's value or a string's length; none when absent) or an enum's values. */
export interface GameOption {
  type: "int" | "bool" | "string" | "enum";
  default: number | boolean | string;
  min?: number;
  max?: number;
  values?: string[];
  description?: string;
}

/** GameInfo is one game of GET /api/v1/games; its options are in the order the game lists them. */
export interface GameInfo {
  name: string;
  display_name: string;
  min_players: number;
  max_players: number;
  options: Record<string, GameOption>;
}

/** isSnapshot checks the shape of a snapshot payload before the game trusts it. */
export function isSnapshot(d: unknown): d is Snapshot {
  if (d === null || typeof d !== "object") return false;
  const s = d as Record<string, unknown>;
  return (
    typeof s.tick === "number" &&
    typeof s.ack === "number" &&
    typeof s.w === "number" &&
    typeof s.h === "number" &&
    Array.isArray(s.players) &&
    s.players.every((p) => Array.isArray(p) && p.length >= 6 && p.every((v) => typeof v === "number")) &&
    (s.coins === undefined || (Array.isArray(s.coins) && s.coins.every((c) => Array.isArray(c) && c.length >= 3)))
  );
}
