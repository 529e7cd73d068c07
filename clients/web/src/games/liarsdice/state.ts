// Liar's Dice's snapshot state and events as the server writes them (PROTOCOL.md, "Liar's
// Dice"), and the rules a page needs to offer only legal bids.

/** Faces is the number of faces of a die. */
export const Faces = 6;

/** Seat is one seated player: [id, dice held, away]. */
export type Seat = [id: number, dice: number, away: boolean];

/** HandDice is one player's dice in a reveal. */
export interface HandDice {
  player: number;
  dice: number[];
}

/** Reveal is what a challenge showed everyone. */
export interface Reveal {
  hand: number;
  count: number;
  face: number;
  bidder: number;
  challenger: number;
  actual: number;
  loser: number;
  dice: HandDice[];
}

/** State is one snapshot of the table as this page's seat sees it. */
export interface State {
  tick: number;
  ack: number;
  hand: number;
  ones_wild: boolean;
  players: Seat[];
  turn: number;
  turn_ms: number;
  /** [count, face, bidder], or [] before the hand's first bid. */
  bid: [] | [count: number, face: number, bidder: number];
  /** This seat's own dice; [] for spectators. */
  dice: number[];
  reveal: Reveal | null;
  winner: number;
}

/** isState tells a Liar's Dice snapshot from anything else. */
export function isState(v: unknown): v is State {
  const s = v as State;
  return typeof s === "object" && s !== null && typeof s.hand === "number" && Array.isArray(s.players) && Array.isArray(s.bid) && Array.isArray(s.dice);
}

/** diceInPlay counts the hand's dice: no bid may name more. */
export function diceInPlay(s: State): number {
  return s.players.reduce((n, p) => n + p[1], 0);
}

/** minFace is the lowest face a bid may name. */
export function minFace(s: State): number {
  return s.ones_wild ? 2 : 1;
}

/** raises tells whether count dice showing face is a legal bid now, as the server judges it. */
export function raises(s: State, count: number, face: number): boolean {
  if (!Number.isInteger(count) || !Number.isInteger(face)) return false;
  if (face < minFace(s) || face > Faces || count < 1 || count > diceInPlay(s)) return false;
  if (s.bid.length === 0) return true;
  const [c, f] = s.bid;
  return count > c || (count === c && face > f);
}

/** lowestRaise is the smallest legal bid, or null when none is left (only a challenge is). */
export function lowestRaise(s: State): [number, number] | null {
  if (s.bid.length === 0) return diceInPlay(s) > 0 ? [1, minFace(s)] : null;
  const [c, f] = s.bid;
  if (f < Faces) return [c, f + 1];
  if (c < diceInPlay(s)) return [c + 1, minFace(s)];
  return null;
}

/** pips is a die's face as a character. */
export function pips(face: number): string {
  return "⚀⚁⚂⚃⚄⚅"[face - 1] ?? "?";
}
