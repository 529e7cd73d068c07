// The browser client when the node it was moved to dies, in headless Chromium: a NATS server,
// a database node and a game node of the real binary, as in cluster.test.ts. Page 1, on the game
// node, quick-joins and so opens a public lobby there. Pages 2 and 3, on the database node, reach
// that lobby through moved: page 2 by quick join, page 3 by its id from the lobby list. The game
// node is then killed with SIGKILL. Both pages go back to their own node after a couple of
// refused dials: page 2, which quick-joined, quick-joins again and plays in a new lobby; page 3,
// which joined by id, is back in the lobby browser with a message that says why.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import type { Browser } from "playwright-core";

import { bannerLog, guest, newPlayer, until, type Player, type TickwireServer, socketsOf, startWebCluster, type WebCluster } from "./harness.ts";

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

// problems are a page's console errors but the browser's own word on a refused socket, which a
// dead node's redials are bound to log.
function problems(p: Player): string[] {
  return p.watch.problems.filter((m) => !/WebSocket connection to .* failed/.test(m));
}

async function explain(p: Player, sockets: string[], e: unknown): Promise<never> {
  throw new Error(`${(e as Error).message}\nsockets: ${sockets.join(", ")}\nbanner: ${(await bannerLog(p.page)).join(" | ")}\nconsole: ${p.watch.problems.join(" | ")}`);
}

test("after SIGKILL of the game node, a quick-joined page plays again and one that joined by id is told its lobby's server went away", { timeout: 60_000 }, async () => {
  const started = Date.now();
  const gameWS = game!.url.replace(/^http/, "ws") + "/ws";
  const dbWS = db!.url.replace(/^http/, "ws") + "/ws";

  // Page 1 opens a public lobby on the game node.
  const a = await newPlayer(browser!, game!.url);
  await guest(a, "ann");
  await a.page.click("#quick-play");
  await until("page 1 in a lobby", 10000, () => a.watch.joined > 0);
  const lobby = a.watch.lobby;

  // Page 2 quick-joins from the database node's page and is moved into it.
  const b = await newPlayer(browser!, db!.url);
  const bSockets = socketsOf(b);
  await guest(b, "ben");
  await b.page.click("#quick-play");
  await until("page 2 in page 1's lobby", 10000, () => b.watch.lobby === lobby).catch((e) => explain(b, bSockets, e));
  assert.ok(bSockets.at(-1)!.startsWith(gameWS), `page 2's sockets: ${bSockets.join(", ")}`);

  // Page 3 joins it by its id, from the database node's lobby list.
  const c = await newPlayer(browser!, db!.url);
  const cSockets = socketsOf(c);
  await guest(c, "cat");
  await c.page.click(`.lobby-row[data-lobby="${lobby}"] button:not([disabled])`, { timeout: 10000 });
  await until("page 3 in page 1's lobby", 10000, () => c.watch.lobby === lobby).catch((e) => explain(c, cSockets, e));
  assert.ok(cSockets.at(-1)!.startsWith(gameWS), `page 3's sockets: ${cSockets.join(", ")}`);
  await until("snapshots on pages 2 and 3", 10000, () => (b.watch.latest?.players.length ?? 0) >= 2 && (c.watch.latest?.players.length ?? 0) >= 2);

  const killedAt = Date.now();
  await game!.kill();

  // Page 2 plays again, in a new lobby on a live node, from a socket to its own node.
  await until("page 2 playing in a new lobby", 20000, () => b.watch.lobby !== lobby && b.watch.snapshotsSinceJoined > 0).catch((e) => explain(b, bSockets, e));
  const playingIn = Date.now() - killedAt;
  assert.ok(bSockets.at(-1)!.startsWith(dbWS), `page 2's sockets: ${bSockets.join(", ")}`);
  assert.equal(await b.page.getAttribute("body", "data-screen"), "game");
  await b.page.waitForSelector("#arena", { timeout: 5000 });
  assert.equal(b.watch.latest!.players.length, 1, "page 2 alone in its new lobby");

  // Page 3 is back in the lobby browser, told why, with no banner spinning on.
  const told = c.page.locator(".screen.lobbies .form-error", { hasText: /server hosting your lobby went away/ });
  await told.waitFor({ timeout: 20000 }).catch((e) => explain(c, cSockets, e));
  const toldIn = Date.now() - killedAt;
  assert.equal(await c.page.getAttribute("body", "data-screen"), "lobbies");
  await until("page 3's banner to go", 5000, async () => (await c.page.locator("#conn-banner.hidden").count()) === 1);
  assert.ok(cSockets.at(-1)!.startsWith(dbWS), `page 3's sockets: ${cSockets.join(", ")}`);
  const banners = await bannerLog(c.page);
  assert.ok(banners.some((t) => /not answering/.test(t)), `page 3's banner: ${banners.join(" | ")}`);

  assert.deepEqual([...problems(b), ...problems(c)], []);
  console.log(`after SIGKILL of the game node: page 2 (quick) playing again in ${playingIn} ms, page 3 (by id) told in ${toldIn} ms; the test ${Date.now() - started} ms`);
});
