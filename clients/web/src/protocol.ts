// The frames of protocol v1 as the browser client uses them (PROTOCOL.md has the whole story).

/** Subprotocol is the protocol the server answers with. */
export const Subprotocol = "tickwire.v1";

/** BearerPrefix starts the subprotocol entry that carries the access token. */
export const BearerPrefix = "bearer.";

/** Close codes the server uses beyond RFC 6455's own. */
export const Close = {
  GoingAway: 1001,
  Abnormal: 1006,
  TokenExpired: 4001,
  Revoked: 4003,
  Policy: 4008,
} as const;

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
  kind: string;
  player?: PlayerInfo;
  state?: LobbyState;
  reason?: string;
  scores?: Score[];
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
