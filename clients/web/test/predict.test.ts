// Prediction and reconciliation of the player's own disc, against the arena's rules.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Predictor, Rules, step } from "../src/games/arena/predict.ts";

const W = 800;
const H = 600;
const dt = 1 / 20;

test("a step moves at the arena's speed and stops at the walls", () => {
  assert.deepEqual(step(100, 100, 1, 0, dt, W, H), [100 + Rules.speed * dt, 100]);
  const [x] = step(W - Rules.radius - 1, 100, 1, 0, dt, W, H);
  assert.equal(x, W - Rules.radius);
  const [dx, dy] = step(100, 100, 1, 1, 1, W, H);
  assert.ok(Math.abs(Math.hypot(dx - 100, dy - 100) - Rules.speed) < 1e-9, "a diagonal is no faster than straight");
});

test("reconcile replays the inputs the server has not applied", () => {
  const p = new Predictor();
  p.reconcile(100, 100, 0, W, H);
  for (let i = 0; i < 5; i++) p.input(1, 0, dt, W, H);
  assert.equal(p.unacked, 5);
  const predicted = p.x;
  // The server applied the first two inputs, exactly as predicted.
  p.reconcile(100 + 2 * Rules.speed * dt, 100, 2, W, H);
  assert.equal(p.unacked, 3);
  assert.ok(Math.abs(p.x - predicted) < 1e-9, `x ${p.x}, predicted ${predicted}`);
  assert.equal(p.ox, 0);
});

test("a server correction shows as an offset that fades", () => {
  const p = new Predictor();
  p.reconcile(100, 100, 0, W, H);
  p.input(1, 0, dt, W, H);
  // The server says the disc was pushed 10 units down.
  p.reconcile(100 + Rules.speed * dt, 110, 1, W, H);
  assert.equal(p.y, 110);
  assert.ok(Math.abs(p.oy + 10) < 1e-9, "drawn where it was, at first");
  p.smooth(1);
  assert.ok(Math.abs(p.oy) < 0.01, "and at the server's place soon after");
});

test("a teleport is drawn as one", () => {
  const p = new Predictor();
  p.reconcile(100, 100, 0, W, H);
  p.reconcile(700, 500, 0, W, H);
  assert.deepEqual([p.x, p.y, p.ox, p.oy], [700, 500, 0, 0]);
});
