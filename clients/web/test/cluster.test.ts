// The browser client in a cluster, in headless Chromium: a NATS server with JetStream, a
// database node and a game node of the real binary. One NATS server rather than three: a fresh
// three-server cluster elects a leader for each stream and bucket, which takes seconds apiece on
// a busy machine; the Go tests of server/clustertest run on three. Page 1, opened on the game
// node, creates a private lobby there; page 2, opened on the database node, joins it by its
// code, is answered moved, follows it to the game node's socket and plays there beside page 1.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import type { Browser } from "playwright-core";

import { guest, Keys, newPlayer, until, type TickwireServer, socketsOf, startWebCluster, type WebCluster } from "./harness.ts";

let cluster: WebCluster | undefined;
let db: TickwireServer | undefined;
let game: TickwireServer | undefined;
let browser: Browser | undefined;

before(async () => {
  cluster = await startWebCluster();
  ({ db, game, browser } = cluster);
});

after(async () => {
  await cluster?.stop();
});

test("a join by code on one node follows moved to the lobby's node and plays there", { timeout: 60_000 }, async () => {
  const started = Date.now();
  const gameWS = game!.url.replace(/^http/, "ws") + "/ws";
  const dbWS = db!.url.replace(/^http/, "ws") + "/ws";

  // Page 1 on the game node: a guest (signed up through the game node) creates a private lobby.
  const a = await newPlayer(browser!, game!.url);
  const aSockets = socketsOf(a);
  await guest(a, "alice");
  await a.page.fill("#lobby-name", "Across nodes");
  assert.ok(await a.page.isChecked("#lobby-private"), "new lobbies are private by default");
  await a.page.click("#create-lobby");
  const code = (await a.page.textContent("#join-code-value", { timeout: 10000 }))!.trim();
  assert.match(code, /^[A-Z0-9]{4,}$/);

  // Page 2 on the database node joins by the code: moved, then the game node's socket.
  const b = await newPlayer(browser!, db!.url);
  const bSockets = socketsOf(b);
  await guest(b, "bob");
  await until("page 2's socket on the database node", 10000, () => bSockets.length > 0);
  assert.ok(bSockets[0]!.startsWith(dbWS), `page 2's first socket: ${bSockets[0]}, want ${dbWS}`);
  const joinAt = Date.now();
  await b.page.fill("#join-code", code);
  await b.page.click("#join-code-btn");
  await b.page.waitForSelector("#arena", { timeout: 10000 }).catch((e: Error) => {
    throw new Error(`${e.message}\npage 2's sockets: ${bSockets.join(", ")}; its console: ${b.watch.problems.join(" | ")}`);
  });
  await until("page 2 in the lobby", 10000, () => b.watch.joined > 0);
  const joinTook = Date.now() - joinAt;
  assert.ok(bSockets.at(-1)!.startsWith(gameWS), `page 2's sockets: ${bSockets.join(", ")}; want the last on ${gameWS}`);
  assert.equal(b.watch.lobby, a.watch.lobby, "page 2 is in page 1's lobby");
  assert.ok(aSockets.every((u) => u.startsWith(gameWS)), `page 1's sockets: ${aSockets.join(", ")}`);

  // Page 2 sees page 1 in the game, and its own inputs are applied there.
  await until("both discs in page 2's snapshots", 10000, () => b.watch.latest?.players.length === 2);
  assert.ok(b.watch.latest!.players.some((p) => p[0] === a.watch.me), "page 1's disc in page 2's snapshot");
  for (const p of [a, b]) {
    await until("both players on the scoreboard", 10000, async () => (await p.page.locator("#scoreboard .score-row").count()) === 2);
  }
  const names = await b.page.locator("#scoreboard .score-name").allTextContents();
  assert.ok(names.some((n) => n.startsWith("alice")), `page 2's scoreboard: ${names}`);
  const before = b.watch.mine()!;
  const keys = new Keys(b.page);
  await keys.steer(1, 0);
  await until("page 2's disc to move, in page 1's snapshots", 10000, () => {
    const p = a.watch.latest?.players.find((q) => q[0] === b.watch.me);
    return p !== undefined && Math.abs(p[1] - before[0]) > 5;
  });
  await keys.steer(0, 0);
  assert.ok((b.watch.latest?.ack ?? 0) > 0, "page 2's inputs acknowledged");
  assert.deepEqual([...a.watch.problems, ...b.watch.problems], []);
  console.log(`the join by code from the database node's page, moved to the game node, took ${joinTook} ms; the test ${Date.now() - started} ms`);
});
