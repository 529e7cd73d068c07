// The lobby browser's games in headless Chromium against the real server binary: create picks a
// game and its options from GET /api/v1/games and sends them, the game screen shows the view of
// the lobby's game, other players see the lobby's game in the list, and quick play by game
// finds that game's lobby and no other.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import type { Browser, Page } from "playwright-core";

import { decodeFrame } from "../src/codec.ts";
import { guest, launchChromium, newPlayer, startServer, until, type TickwireServer } from "./harness.ts";

let server: TickwireServer | undefined;
let browser: Browser | undefined;

before(async () => {
  server = await startServer();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** sentRequests records the d of every frame of type t a page's sockets send. */
function sentRequests(page: Page, t: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  page.on("websocket", (ws) =>
    ws.on("framesent", ({ payload }) => {
      if (typeof payload === "string") return;
      const f = decodeFrame(new Uint8Array(payload));
      if (f.t === t) out.push(f.d as Record<string, unknown>);
    }),
  );
  return out;
}

test("create picks a game and its options, and quick play finds a game's lobby", { timeout: 90_000 }, async () => {
  const a = await newPlayer(browser!, server!.url);
  const creates = sentRequests(a.page, "create");
  await guest(a, "ann");

  // The picker lists the server's games, the default first, and offers each game's options.
  await until("the games to load", 10000, async () => (await a.page.locator("#lobby-game option").count()) >= 2);
  const games = await a.page.locator("#lobby-game option").evaluateAll((os) => os.map((o) => [(o as HTMLOptionElement).value, o.textContent]));
  assert.deepEqual(games.slice(0, 2), [
    ["arena", "Arena"],
    ["liarsdice", "Liar's Dice"],
  ]);
  assert.equal(await a.page.locator("#lobby-options input, #lobby-options select").count(), 0, "the arena has no options");
  await a.page.selectOption("#lobby-game", "liarsdice");
  await a.page.waitForSelector("#option-dice");
  assert.equal(await a.page.inputValue("#option-dice"), "5");
  assert.equal(await a.page.getAttribute("#option-dice", "max"), "10");
  assert.equal(await a.page.inputValue("#option-turn_seconds"), "30");
  assert.ok(await a.page.isChecked("#option-ones_wild"));
  const sizes = await a.page.locator("#lobby-max option").evaluateAll((os) => os.map((o) => Number((o as HTMLOptionElement).value)));
  assert.ok(sizes.length > 0 && sizes.every((n) => n >= 2 && n <= 6), `sizes ${sizes} outside Liar's Dice's 2 to 6`);
  assert.equal(Math.max(...sizes), 6);

  // Ann creates a public Liar's Dice lobby of 4 with three dice each and no wild ones.
  await a.page.fill("#option-dice", "3");
  await a.page.uncheck("#option-ones_wild");
  await a.page.selectOption("#lobby-max", "4");
  await a.page.fill("#lobby-name", "Dice night");
  await a.page.uncheck("#lobby-private");
  await a.page.click("#create-lobby");
  await a.page.waitForSelector('.game-body[data-game="liarsdice"]');
  assert.equal(creates.length, 1);
  assert.deepEqual(creates[0], {
    name: "Dice night",
    private: false,
    max_players: 4,
    game: "liarsdice",
    options: { dice: 3, turn_seconds: 30, ones_wild: false },
  });

  // An option out of its bounds stops at the form, which knows them from the server.
  const b = await newPlayer(browser!, server!.url);
  const bobCreates = sentRequests(b.page, "create");
  await guest(b, "bob");
  await until("bob's games to load", 10000, async () => (await b.page.locator("#lobby-game option").count()) >= 2);
  await b.page.selectOption("#lobby-game", "liarsdice");
  await b.page.fill("#option-dice", "11");
  await b.page.click("#create-lobby");
  assert.equal(await b.page.locator("#option-dice:invalid").count(), 1);
  assert.equal(bobCreates.length, 0, "a create went out with an option out of bounds");
  await b.page.fill("#option-dice", "5");

  // Bob sees Ann's lobby with its game.
  const row = b.page.locator(`.lobby-row[data-game="liarsdice"]`);
  await until("Ann's lobby in Bob's list", 10000, async () => (await row.count()) === 1);
  assert.match((await row.locator(".lobby-game").textContent()) ?? "", /^Liar's Dice · 10 Hz$/);

  // Quick play of the arena opens an arena lobby of its own; quick play of Liar's Dice finds Ann's.
  const c = await newPlayer(browser!, server!.url);
  await guest(c, "cat");
  await until("cat's games to load", 10000, async () => (await c.page.locator("#quick-game option").count()) >= 2);
  await c.page.click("#quick-play");
  await c.page.waitForSelector('.game-body[data-game="arena"]');
  assert.notEqual(c.watch.lobby, a.watch.lobby);

  await b.page.selectOption("#quick-game", "liarsdice");
  await b.page.click("#quick-play");
  await b.page.waitForSelector('.game-body[data-game="liarsdice"]');
  assert.equal(b.watch.lobby, a.watch.lobby, "quick play of Liar's Dice went elsewhere than the open Liar's Dice lobby");

  for (const [who, p] of [["ann", a], ["bob", b], ["cat", c]] as const) assert.deepEqual(p.watch.problems, [], `${who}'s console`);
});
