// Liar's Dice end to end in headless Chromium against the real server binary: one player creates
// a private Liar's Dice lobby of two dice each, a second joins by its code, the host deals, and
// both play through the page's own controls (bids prefilled with the lowest raise, challenges
// when the bid looks too high) until the match is over and both pages show the result. Every
// snapshot and game event each page's socket receives is decoded on the way: a page only ever
// holds its own dice, and only a reveal shows the other's.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import type { Browser, Page } from "playwright-core";

import { decodeFrame } from "../src/codec.ts";
import type { State } from "../src/games/liarsdice/state.ts";
import { guest, launchChromium, newPlayer, outDir, startServer, until, type Player, type TickwireServer } from "./harness.ts";

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

/** Table follows what one page's socket receives of the game. */
class Table {
  me = 0;
  latest: State | null = null;
  snapshots = 0;
  reveals = 0;
  /** errors are the error frames the page got (a refused input, say). */
  errors: string[] = [];
  /** inputs counts the input frames the page sent. */
  inputs = 0;
  /** leaks are snapshots or events that showed this page dice it must not see. */
  leaks: string[] = [];
  private rolls = new Map<number, number[]>(); // hand -> this page's dice, from its roll events

  constructor(page: Page) {
    page.on("websocket", (ws) =>
      ws.on("framereceived", ({ payload }) => {
        if (typeof payload === "string") return;
        const f = decodeFrame(new Uint8Array(payload));
        const d = f.d as Record<string, unknown>;
        if (f.t === "joined") this.me = (d as { player: number }).player;
        if (f.t === "snapshot" && Array.isArray(d.dice) && Array.isArray(d.players)) this.onState(d as unknown as State);
        if (f.t === "event" && d.kind === "game") this.onEvent(String(d.name), d.data as Record<string, unknown>);
        if (f.t === "error") this.errors.push(JSON.stringify(d));
      }),
    );
    page.on("websocket", (ws) =>
      ws.on("framesent", ({ payload }) => {
        if (typeof payload !== "string" && decodeFrame(new Uint8Array(payload)).t === "input") this.inputs++;
      }),
    );
  }

  private onState(s: State): void {
    this.snapshots++;
    this.latest = s;
    const held = s.players.find((p) => p[0] === this.me)?.[1] ?? 0;
    if (s.dice.length !== held) this.leaks.push(`tick ${s.tick}: ${s.dice.length} dice in a snapshot of a seat that holds ${held}`);
    const rolled = this.rolls.get(s.hand);
    // A match's last challenge ends it without a new roll: the dice go, the hand stays.
    if (rolled && s.dice.length > 0 && s.dice.join() !== rolled.join()) this.leaks.push(`tick ${s.tick}: dice ${s.dice} in the snapshot, ${rolled} rolled`);
  }

  private onEvent(name: string, data: Record<string, unknown>): void {
    if (name === "roll") {
      const dice = data.dice as number[];
      this.rolls.set(data.hand as number, dice);
    }
    if (name === "reveal") this.reveals++;
  }
}

/** act plays one turn of page p through its controls, if it is p's turn as far as p knows. */
async function act(p: Player, t: Table): Promise<void> {
  const s = t.latest;
  if (!s || s.turn !== t.me || s.winner !== 0) return;
  const total = s.players.reduce((n, q) => n + q[1], 0);
  const bid = s.bid;
  const canBid = await p.page.isEnabled("#ld-bid-btn");
  const canChallenge = await p.page.isEnabled("#ld-challenge");
  // Challenge a bid of more than half the dice on the table, or when no raise is left; else
  // bid the lowest raise, as the page fills it in. The turn may pass meanwhile: a click that
  // finds its button disabled is not made.
  const which = canChallenge && bid.length === 3 && (bid[0] > total / 2 || !canBid) ? "#ld-challenge" : canBid ? "#ld-bid-btn" : "";

  if (which) await p.page.click(which, { timeout: 500 }).catch(() => undefined);
}

test("two players play a match of Liar's Dice to its end, each seeing only their own dice", { timeout: 120_000 }, async () => {
  const a = await newPlayer(browser!, server!.url);
  const ta = new Table(a.page);
  await guest(a, "ann");
  await until("the games to load", 10000, async () => (await a.page.locator("#lobby-game option").count()) >= 2);
  await a.page.selectOption("#lobby-game", "liarsdice");
  await a.page.waitForSelector("#option-dice");
  await a.page.fill("#option-dice", "2");
  await a.page.fill("#lobby-name", "Dice for two");
  await a.page.click("#create-lobby");
  await a.page.waitForSelector('.game-body[data-game="liarsdice"]');
  const code = (await a.page.textContent("#join-code-value", { timeout: 10000 }))!.trim();

  const b = await newPlayer(browser!, server!.url);
  const tb = new Table(b.page);
  await guest(b, "bob");
  await b.page.fill("#join-code", code);
  await b.page.click("#join-code-btn");
  await b.page.waitForSelector('.game-body[data-game="liarsdice"]');
  await until("both seats on Ann's table", 10000, async () => (await a.page.locator("#ld-table .ld-seat").count()) === 2);

  // Only the host deals.
  assert.equal(await b.page.locator("#start-round").count(), 0, "Bob, not host, could deal");
  await a.page.click("#start-round");
  for (const [p, t] of [[a, ta], [b, tb]] as const) {
    await until("the dice to be dealt", 10000, async () => (await p.page.locator("#ld-my-dice .die").count()) === 2);
    assert.deepEqual(
      (await p.page.locator("#ld-my-dice .die").evaluateAll((ds) => ds.map((d) => Number((d as HTMLElement).dataset.face)))),
      t.latest!.dice,
      "the page shows other dice than its snapshot holds",
    );
  }
  assert.match((await a.page.textContent("#ld-countdown")) ?? "", /^\d+ s$/);
  const first = ta.latest!.turn === ta.me ? a : b;
  assert.equal(await first.page.textContent("#ld-turn"), "Your turn");

  // Both play until the match is over.
  await until("the match to end", 90000, async () => {
    await act(a, ta);
    await act(b, tb);
    return (await a.page.locator("#results").count()) === 1 && (await b.page.locator("#results").count()) === 1;
  }).catch((e: Error) => {
    console.log(`errors: ${ta.errors} ${tb.errors}; inputs sent: ann ${ta.inputs}, bob ${tb.inputs}`);
    throw new Error(`${e.message}; ann's last state ${JSON.stringify(ta.latest)}, bob's ${JSON.stringify(tb.latest)}`);
  });

  // Both pages show the same result: one winner, who holds the dice left.
  await until("the winner in both snapshots", 5000, () => (ta.latest?.winner ?? 0) !== 0 && ta.latest?.winner === tb.latest?.winner);
  const winner = ta.latest!.winner;
  assert.ok(winner === ta.me || winner === tb.me, `winner ${winner}`);
  const winnerName = winner === ta.me ? "ann" : "bob";
  for (const [who, p] of [["ann", a], ["bob", b]] as const) {
    const names = await p.page.locator("#results .ranking .score-name").allTextContents();
    assert.equal(names.length, 2, `${who}'s results: ${names}`);
    assert.ok(names[0]!.startsWith(winnerName), `${who}'s results put ${names[0]} first, the winner is ${winnerName}`);
    assert.deepEqual(await p.page.locator("#results .ranking .score").allTextContents(), ["1", "0"]);
  }
  assert.deepEqual([...ta.errors, ...tb.errors], [], "inputs were refused");
  assert.ok(ta.reveals >= 1 && ta.reveals === tb.reveals, `reveals: ann ${ta.reveals}, bob ${tb.reveals}`);
  assert.ok((await a.page.locator("#ld-reveal .ld-revealed li").count()) === 2, "the last reveal shows both players' dice");
  assert.ok(await a.page.isVisible("#results #start-round"), "the host cannot deal again");

  for (const [who, t, p] of [["ann", ta, a], ["bob", tb, b]] as const) {
    assert.ok(t.snapshots > 10, `${who} got ${t.snapshots} snapshots`);
    assert.deepEqual(t.leaks, [], `${who} saw dice not theirs`);
    assert.deepEqual(p.watch.problems, [], `${who}'s console`);
  }
  mkdirSync(outDir, { recursive: true });
  const shot = join(outDir, "liarsdice-results.png");
  await b.page.screenshot({ path: shot });
  console.log(`screenshot: ${shot}; ${ta.reveals} reveals, ${ta.inputs + tb.inputs} inputs, ${ta.snapshots} snapshots`);
});
