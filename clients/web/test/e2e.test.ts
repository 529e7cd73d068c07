// End to end in headless Chromium against the real server binary: one player registers and
// creates a private lobby, a second joins from another browser context by its code, both steer
// with the keyboard and collect coins, and both live through several in-band reauths of a 5 s
// access token without the socket ever being replaced; the 30 s round ends with the results on
// both pages and the host starts another. The screenshots land in test-output/.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import type { Browser } from "playwright-core";

import { bannerLog, guest, Keys, launchChromium, newPlayer, outDir, startServer, until, type TickwireServer, type Watch } from "./harness.ts";

const roundSeconds = 30;

let server: TickwireServer | undefined;
let browser: Browser | undefined;

before(async () => {
  server = await startServer("--access-ttl", "5s", "--round-length", `${roundSeconds}s`);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// steerToCoins points one player at its nearest coin.
async function steerToCoins(w: Watch, keys: Keys): Promise<void> {
  const me = w.mine();
  const coins = w.latest?.coins ?? [];
  if (!me || coins.length === 0) return keys.steer(0, 0);
  let best = coins[0]!;
  for (const c of coins) if (Math.hypot(c[1] - me[0], c[2] - me[1]) < Math.hypot(best[1] - me[0], best[2] - me[1])) best = c;
  const dx = best[1] - me[0];
  const dy = best[2] - me[1];
  await keys.steer(Math.abs(dx) > 6 ? Math.sign(dx) : 0, Math.abs(dy) > 6 ? Math.sign(dy) : 0);
}

test("two players meet in a private lobby, collect coins and outlive their tokens", { timeout: 120_000 }, async () => {
  const started = Date.now();
  const suffix = Math.random().toString(36).slice(2, 7);

  // Alice registers and creates a private lobby.
  const a = await newPlayer(browser!, server!.url);
  await a.page.getByRole("button", { name: "Register" }).click();
  await a.page.fill("#username", `alice_${suffix}`);
  await a.page.fill("#password", "correct horse battery");
  await a.page.getByRole("button", { name: "Create account" }).click();
  await a.page.waitForSelector("#create-lobby");
  assert.equal(await a.page.textContent("#who"), `alice_${suffix}`);
  await a.page.fill("#lobby-name", "Friday night");
  assert.ok(await a.page.isChecked("#lobby-private"), "new lobbies are private by default");
  await a.page.click("#create-lobby");
  const code = (await a.page.textContent("#join-code-value", { timeout: 10000 }))!.trim();
  assert.match(code, /^[A-Z0-9]{4,}$/);

  // Bob plays as a guest and joins by the code.
  const b = await newPlayer(browser!, server!.url);
  await guest(b, "bob");
  await b.page.fill("#join-code", code.toLowerCase());
  await b.page.click("#join-code-btn");
  await b.page.waitForSelector("#arena");

  // Both see both.
  for (const p of [a, b]) {
    await until("both players on the scoreboard", 10000, async () => (await p.page.locator("#scoreboard .score-row").count()) === 2);
    const names = await p.page.locator("#scoreboard .score-name").allTextContents();
    assert.ok(names.some((n) => n.startsWith(`alice_${suffix}`)) && names.some((n) => n.startsWith("bob-")), `scoreboard: ${names}`);
  }
  await until("both discs in the snapshots", 5000, () => a.watch.latest?.players.length === 2 && b.watch.latest?.players.length === 2);

  // Alice starts the round.
  await a.page.click("#start-round");
  await until("the round to run", 5000, async () => (await b.page.textContent("#round-phase")) === "Round in progress");

  // The keyboard moves Alice's disc: right for a moment.
  const ka = new Keys(a.page);
  const kb = new Keys(b.page);
  const from = a.watch.mine()!;
  await ka.steer(1, 0);
  await until("Alice to move right", 5000, () => a.watch.mine()![0] > from[0] + 40 || a.watch.mine()![0] >= 800 - 16 - 1);
  await ka.steer(0, 0);

  // Both hunt coins until each has scored and both pages show it, and every socket has
  // reauthorised in band at least twice.
  await until("both to score and two reauths each", 45000, async () => {
    await steerToCoins(a.watch, ka);
    await steerToCoins(b.watch, kb);
    const sa = a.watch.mine()?.[2] ?? 0;
    const sb = b.watch.mine()?.[2] ?? 0;
    return sa >= 2 && sb >= 2 && a.watch.reauthOK >= 2 && b.watch.reauthOK >= 2;
  });
  await ka.steer(0, 0);
  await kb.steer(0, 0);

  // The scores on the pages match the server's.
  for (const p of [a, b]) {
    await until("the scoreboard to show the scores", 3000, async () => {
      const scores = (await p.page.locator("#scoreboard .score").allTextContents()).map(Number);
      return scores.length === 2 && scores.every((s) => s >= 2);
    });
  }

  // The HUD measures the connection and the lobby.
  const net = (await a.page.textContent("#net-stats")) ?? "";
  assert.match(net, /Ping\s*(<1|\d+) ms/, net);
  assert.match(net, /Tick\s*(1[5-9]|2[0-5]) Hz/, net);
  assert.match(net, /Players\s*2\/8/, net);
  assert.match((await a.page.textContent("#round-timer")) ?? "", /^0:[0-5]\d$/);

  // The reauths were invisible: no socket was replaced or closed, the connection banner never
  // showed, and snapshots kept coming (the bound allows for a loaded machine's stalls, which
  // hit both pages at once and have nothing to do with reauth).
  for (const [who, p] of [["alice", a], ["bob", b]] as const) {
    assert.equal(p.watch.sockets, 1, `${who} opened ${p.watch.sockets} sockets; the banner said: ${(await bannerLog(p.page)).join(" | ")}; ${p.watch.events.join("; ")}`);
    assert.equal(p.watch.closes, 0, `${who}'s socket closed`);
    const banner = (await bannerLog(p.page)).filter((t) => t !== "Connecting…"); // the first connect says so
    assert.deepEqual(banner, [], `${who} saw the connection banner`);
    assert.ok(p.watch.maxGapMs < 2000, `${who} went ${p.watch.maxGapMs} ms without a snapshot: ${p.watch.events.join("; ")}`);
    assert.deepEqual(p.watch.problems, [], `${who}'s console`);
  }

  mkdirSync(outDir, { recursive: true });
  const shot = join(outDir, "e2e-round.png");
  await a.page.screenshot({ path: shot });
  console.log(`screenshot: ${shot}`);
  console.log(
    `alice: score ${a.watch.mine()![2]}, ${a.watch.reauthOK} reauths, ${a.watch.snapshots} snapshots, longest gap ${a.watch.maxGapMs} ms; ` +
      `bob: score ${b.watch.mine()![2]}, ${b.watch.reauthOK} reauths; ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );

  // The round runs out: both pages show the results, best first, as the server scored them.
  for (const p of [a, b]) await p.page.waitForSelector("#results", { timeout: (roundSeconds + 5) * 1000 });
  const final = new Map(a.watch.latest!.players.map((p) => [p[0], p[5]]));
  const want = [...final.entries()].sort((x, y) => y[1] - x[1]).map(([, score]) => score);
  for (const p of [a, b]) {
    const scores = (await p.page.locator("#results .ranking .score").allTextContents()).map(Number);
    assert.deepEqual(scores, want, "the results differ from the last snapshot's scores");
  }
  const results = join(outDir, "e2e-results.png");
  await b.page.screenshot({ path: results });
  console.log(`screenshot: ${results}`);

  // Only the host may start the next round, from the results.
  assert.equal(await b.page.locator("#results #start-round").count(), 0, "Bob, not host, could start a round");
  await a.page.click("#results #start-round");
  await until("the next round to run", 5000, async () => (await b.page.textContent("#round-phase")) === "Round in progress");
  await until("the scores to start over", 5000, async () => (await a.page.locator("#scoreboard .score").allTextContents()).every((t) => t === "0"));

  // Leaving takes Bob back to the lobby browser, and Alice sees him go.
  await b.page.click("#leave");
  await b.page.waitForSelector("#quick-play");
  await until("Bob to leave Alice's scoreboard", 5000, async () => (await a.page.locator("#scoreboard .score-row").count()) === 1);

  // Alice's invite link brings Bob back (his session resumes from its cookie on a fresh load),
  // and as host she can remove him.
  await b.page.goto("about:blank");
  await b.page.goto(`${server!.url}/#join=${code}`);
  await b.page.waitForSelector("#arena");
  await until("Bob back on Alice's scoreboard", 5000, async () => (await a.page.locator("#scoreboard .score-row").count()) === 2);
  await a.page.locator("#scoreboard .score-row:not(.me) .kick").click();
  await b.page.waitForSelector("#quick-play");
  assert.match((await b.page.textContent(".lobbies .form-error")) ?? "", /host removed you/);
  await until("Bob gone from Alice's scoreboard", 5000, async () => (await a.page.locator("#scoreboard .score-row").count()) === 1);
});
