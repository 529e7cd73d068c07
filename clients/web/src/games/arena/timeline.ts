// Interpolation of the other players between snapshots.
//
// Snapshots arrive once per tick, unevenly. Other players are drawn a little in the past, at a
// render tick between two snapshots the page already holds, so they glide instead of jumping
// with every packet. The render tick follows the server's tick clock as estimated from
// arrivals: it moves up at once when a snapshot comes early and drifts back slowly when they
// come late, so network jitter costs smoothness only briefly.

import type { ArenaPlayer, Snapshot } from "../../protocol.ts";
import { Rules } from "./predict.ts";

interface Entry {
  tick: number;
  players: Map<number, ArenaPlayer>;
}

const keep = 32;

export class Timeline {
  private entries: Entry[] = [];
  private offset = 0; // server tick minus local tick clock
  private rate = 20;

  /** delayTicks is how far behind the newest snapshot others are drawn. */
  get delayTicks(): number {
    // Two ticks at low rates; at high rates at least 50 ms, to ride out jitter.
    return Math.max(2, (this.rate * 50) / 1000);
  }

  setRate(rate: number): void {
    if (rate > 0 && rate !== this.rate) {
      this.rate = rate;
      this.entries = [];
    }
  }

  push(s: Snapshot, nowMs: number): void {
    const last = this.entries[this.entries.length - 1];
    if (last && s.tick <= last.tick) {
      if (s.tick < last.tick - keep) this.entries = []; // a new lobby's ticks: start over
      else return;
    }
    const players = new Map<number, ArenaPlayer>();
    for (const p of s.players) players.set(p[0], p);
    this.entries.push({ tick: s.tick, players });
    if (this.entries.length > keep) this.entries.shift();
    const sample = s.tick - (nowMs * this.rate) / 1000;
    if (this.entries.length === 1 || Math.abs(sample - this.offset) > 8) this.offset = sample;
    else if (sample > this.offset) this.offset = sample;
    else this.offset += (sample - this.offset) * 0.02;
  }

  /** renderTick is the (fractional) tick others are drawn at, at local time nowMs. */
  renderTick(nowMs: number): number {
    return (nowMs * this.rate) / 1000 + this.offset - this.delayTicks;
  }

  /** position returns where player id is drawn at render tick rt, or null when unknown. */
  position(id: number, rt: number): [number, number, number, number] | null {
    const es = this.entries;
    if (es.length === 0) return null;
    let i = es.length - 1;
    while (i > 0 && es[i]!.tick > rt) i--;
    const a = es[i]!;
    const b = es[i + 1];
    const pa = a.players.get(id);
    if (!b) {
      // Past the newest snapshot: extrapolate by velocity, a little at most.
      const p = pa ?? null;
      if (!p) return null;
      const dt = Math.min(Math.max(rt - a.tick, 0), 2) / this.rate;
      return [p[1] + p[3] * dt, p[2] + p[4] * dt, p[3], p[4]];
    }
    const pb = b.players.get(id);
    if (!pa || !pb) {
      const p = pb ?? pa;
      return p ? [p[1], p[2], p[3], p[4]] : null;
    }
    const t = Math.min(Math.max((rt - a.tick) / (b.tick - a.tick), 0), 1);
    const reach = ((Rules.speed * (b.tick - a.tick)) / this.rate) * 3 + Rules.radius;
    if (Math.hypot(pb[1] - pa[1], pb[2] - pa[2]) > reach) {
      // Farther than a disc can move: a teleport (a new round), drawn as one.
      const p = t < 0.5 ? pa : pb;
      return [p[1], p[2], p[3], p[4]];
    }
    return [pa[1] + (pb[1] - pa[1]) * t, pa[2] + (pb[2] - pa[2]) * t, pb[3], pb[4]];
  }
}
