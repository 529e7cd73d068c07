// What a game's view is to the page: the small interface every folder under src/games/
// implements, and what the game screen around it gives it.

import type { LobbyEvent, LobbyInfo, LobbyState, PlayerInfo } from "../protocol.ts";

/** GameSnapshot is one snapshot as decoded: tick and ack, then the game's own state for this
 * member's view (PROTOCOL.md has each game's layout). */
export interface GameSnapshot {
  tick: number;
  ack: number;
  [field: string]: unknown;
}

/** ViewContext is what the game screen gives a view: the lobby as it stands, and the ways to
 * speak to the server. Its fields are kept current; read them when needed rather than copying. */
export interface ViewContext {
  /** lobby is the lobby as joined, its state and players kept current from its events. */
  readonly lobby: LobbyInfo;
  /** me is this page's seat. */
  readonly me: number;
  readonly spectator: boolean;
  /** players are the seats by id, spectators included. */
  readonly players: ReadonlyMap<number, PlayerInfo>;
  readonly state: LobbyState;
  readonly isHost: boolean;
  /** rtt is the last round trip to the server in ms, -1 while unknown. */
  readonly rtt: number;
  /** sendInput sends one input frame, {seq, ...fields}, the seq numbered by the screen. It
   * returns the seq used, or 0 when nothing was sent: the socket is not open, or this page has
   * not yet taken its seat back on a fresh socket. */
  sendInput(fields: Record<string, unknown>): number;
  /** request sends a request (start, kick, …) and resolves with its answer's payload, or
   * rejects with the server's error. */
  request(type: string, data?: Record<string, unknown>): Promise<unknown>;
  /** hud is the middle of the top bar, beside the lobby's phase, for the view's own readouts. */
  readonly hud: HTMLElement;
  /** help is the footer's line of help text. */
  readonly help: HTMLElement;
}

/** GameView is one game's part of the game screen. */
export interface GameView {
  /** mount builds the view into el, the screen's body: el takes no box of its own (display:
   * contents), so its children are laid out by the screen, a stage beside an optional
   * aside.hud-side. */
  mount(el: HTMLElement, ctx: ViewContext): void;
  /** snapshot is every snapshot of the lobby, in order of arrival. */
  snapshot(s: GameSnapshot): void;
  /** event is each game event (an event frame of kind game) with its name and data. */
  event(name: string, data: unknown): void;
  /** lobby, when present, hears the lobby's own events once ctx reflects them, and
   * {kind: "rejoined"} when a reconnect gave the seat back (what the old socket sent is never
   * acknowledged). */
  lobby?(e: LobbyEvent | { kind: "rejoined" }): void;
  /** unmount stops what the view runs (animation frames, listeners). */
  unmount(): void;
}
