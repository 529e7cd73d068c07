// Client-side prediction of the player's own disc, reconciled against the server's ack.
//
// Every input the page sends is applied at once to a local copy of the disc, so the player's
// own movement never waits a round trip. Each snapshot then says where the server had the disc
// after applying input `ack`: the prediction restarts from there and replays the inputs the
// server has not applied yet. What is left between the old and the new prediction is a small
// error, shown as an offset that fades over a few frames rather than a jump.

/** Rules mirror the arena's (game/arena DefaultRules); w and h come with every snapshot. */
export const Rules = {
  speed: 220, // units per second at full input
  radius: 16,
  coinRadius: 8,
};

/** Input is one sent input and how long it steers, in seconds. */
export interface Input {
  seq: number;
  dx: number;
  dy: number;
  dt: number;
}

// An error larger than this is a teleport (a new round, a push): no smoothing.
const snapDistance = 96;
// The correction offset halves every this many seconds.
const smoothHalfLife = 0.06;
// Unacknowledged inputs kept at most (a few seconds); older ones are dropped.
const maxPending = 256;

/** step moves (x, y) by one input the way the arena does: diagonal no faster than straight,
 * then clamped inside the walls. */
export function step(x: number, y: number, dx: number, dy: number, dt: number, w: number, h: number): [number, number] {
  const l = dx * dx + dy * dy;
  if (l > 1) {
    const n = Math.sqrt(l);
    dx /= n;
    dy /= n;
  }
  const r = Rules.radius;
  return [clamp(x + dx * Rules.speed * dt, r, w - r), clamp(y + dy * Rules.speed * dt, r, h - r)];
}

export class Predictor {
  /** x and y are the predicted position; has is false until the first snapshot. */
  x = 0;
  y = 0;
  has = false;
  // The visible correction: drawn at (x + ox, y + oy), fading to zero.
  ox = 0;
  oy = 0;
  private seq = 0;
  private pending: Input[] = [];

  /** unacked is how many sent inputs the server has not applied yet. */
  get unacked(): number {
    return this.pending.length;
  }

  /** input records one input about to be sent (as seq, when the sender numbered it), applies
   * it locally and returns its seq. */
  input(dx: number, dy: number, dt: number, w: number, h: number, seq?: number): number {
    this.seq = seq ?? ((this.seq + 1) >>> 0 || 1);
    this.pending.push({ seq: this.seq, dx, dy, dt });
    if (this.pending.length > maxPending) this.pending.shift();
    if (this.has) [this.x, this.y] = step(this.x, this.y, dx, dy, dt, w, h);
    return this.seq;
  }

  /** reconcile takes the server's position after input ack and replays the rest. */
  reconcile(sx: number, sy: number, ack: number, w: number, h: number): void {
    let drop = 0;
    while (drop < this.pending.length && this.pending[drop]!.seq <= ack) drop++;
    if (drop > 0) this.pending.splice(0, drop);
    let x = sx;
    let y = sy;
    for (const p of this.pending) [x, y] = step(x, y, p.dx, p.dy, p.dt, w, h);
    if (this.has) {
      this.ox += this.x - x;
      this.oy += this.y - y;
      if (Math.hypot(this.ox, this.oy) > snapDistance) this.ox = this.oy = 0;
    }
    this.x = x;
    this.y = y;
    this.has = true;
  }

  /** smooth fades the correction offset over dt seconds. */
  smooth(dt: number): void {
    const k = Math.pow(0.5, dt / smoothHalfLife);
    this.ox *= k;
    this.oy *= k;
    if (Math.abs(this.ox) < 0.01) this.ox = 0;
    if (Math.abs(this.oy) < 0.01) this.oy = 0;
  }

  /** dropPending forgets inputs that will never be acknowledged (those of a lost socket). */
  dropPending(): void {
    this.pending = [];
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(v, hi));
}
