// Interpolation of the other players between snapshots.
import assert from "node:assert/strict";
import { test } from "node:test";

import type { Snapshot } from "../src/protocol.ts";
import { Timeline } from "../src/games/arena/timeline.ts";

function snap(tick: number, x: number): Snapshot {
  return { tick, ack: 0, w: 800, h: 600, round_ms: 0, players: [[7, x, 100, 0, 0, 0]], coins: [] };
}

test("others are drawn between the two snapshots around the render tick", () => {
  const tl = new Timeline();
  tl.setRate(20);
  for (let t = 1; t <= 5; t++) tl.push(snap(t, t * 10), t * 50);
  const rt = tl.renderTick(5 * 50);
  assert.ok(rt < 5 && rt > 2, `render tick ${rt} lags the newest by the delay`);
  const p = tl.position(7, 3.5);
  assert.ok(p);
  assert.equal(p[0], 35);
});

test("a jump farther than a disc can move is not smeared", () => {
  const tl = new Timeline();
  tl.setRate(20);
  tl.push(snap(1, 50), 50);
  tl.push(snap(2, 700), 100);
  assert.equal(tl.position(7, 1.25)![0], 50);
  assert.equal(tl.position(7, 1.75)![0], 700);
});
