// End to end in headless Chromium against the real server binary: one player registers and
// creates a private lobby, a second joins from another browser context by its code, both steer
// with the keyboard and collect coins, and both live through several in-band reauths of a 5 s
// access token without the socket ever being replaced.
//
// Needs bin/tickwire built with the bundle (make webtest does both) and Debian's chromium at
// /usr/bin/chromium (or $CHROMIUM). The screenshot lands in test-output/.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

import { decodeFrame } from "../src/codec.ts";
import { isSnapshot, type Joined, type Snapshot } from "../src/protocol.ts";

const here = dirname(fileURLToPath(import.meta.url));
const webDir = resolve(here, "..", "..");
const repo = resolve(webDir, "..", "..");
const bin = process.env.TICKWIRE_BIN ?? join(repo, "bin", "tickwire");
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const outDir = join(webDir, "test-output");

const accessTTL = 5; // seconds

let server: ChildProcess | undefined;
let serverLog = "";
let baseURL = "";
let dataDir = "";
let browser: Browser | undefined;

before(async () => {
  assert.ok(existsSync(bin), `${bin} is missing: run make build (make webtest builds it)`);
  assert.ok(existsSync(chromiumPath), `${chromiumPath} is missing: apt-get install chromium (.ci/run does)`);
  dataDir = mkdtempSync(join(tmpdir(), "tickwire-e2e-"));
  baseURL = await startServer();
  const res = await fetch(`${baseURL}/web/app.js`);
  assert.equal(res.status, 200, `${bin} was built without the browser bundle: run make web, then make build`);
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      // Keep every context's animation frames running although only one page has focus.
      "--disable-renderer-backgrounding",
      "--disable-background-timer-throttling",
      "--disable-backgrounding-occluded-windows",
    ],
  });
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    server.kill("SIGTERM");
    await new Promise((r) => server!.once("exit", r));
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function startServer(): Promise<string> {
  return new Promise((resolveURL, reject) => {
    const p = spawn(bin, ["serve", "--addr", "127.0.0.1:0", "--data", dataDir, "--access-ttl", `${accessTTL}s`, "--log-level", "warn"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    server = p;
    const timer = setTimeout(() => reject(new Error(`the server did not start in 15 s:\n${serverLog}`)), 15000);
    p.stderr!.on("data", (b: Buffer) => (serverLog += b.toString()));
    p.stdout!.on("data", (b: Buffer) => {
      serverLog += b.toString();
      const m = /serving at (http:\/\/\S+)/.exec(serverLog);
      if (m) {
        clearTimeout(timer);
        resolveURL(m[1]!);
      }
    });
    p.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code}:\n${serverLog}`));
    });
  });
}

/** Watch is what one page's sockets carried, read from the browser's own frames. */
class Watch {
  sockets = 0;
  closes: number[] = [];
  reauthOK = 0;
  me = 0;
  latest: Snapshot | null = null;
  snapshots = 0;
  lastSnapAt = 0;
  maxGapMs = 0;
  problems: string[] = [];

  constructor(readonly page: Page) {
    page.on("websocket", (ws) => {
      this.sockets++;
      ws.on("framereceived", ({ payload }) => this.onFrame(payload));
      ws.on("close", () => this.closes.push(Date.now()));
    });
    page.on("console", (m) => {
      if (m.type() === "error" || /Content.Security.Policy/i.test(m.text())) this.problems.push(m.text());
    });
    page.on("pageerror", (e) => this.problems.push(String(e)));
  }

  private onFrame(payload: string | Buffer): void {
    if (typeof payload === "string") return;
    const f = decodeFrame(new Uint8Array(payload));
    switch (f.t) {
      case "joined":
        this.me = (f.d as Joined).player;
        break;
      case "reauth_ok":
        this.reauthOK++;
        break;
      case "snapshot":
        if (isSnapshot(f.d)) {
          const now = Date.now();
          if (this.lastSnapAt) this.maxGapMs = Math.max(this.maxGapMs, now - this.lastSnapAt);
          this.lastSnapAt = now;
          this.latest = f.d;
          this.snapshots++;
        }
        break;
    }
  }

  mine(): [number, number, number] | null {
    const p = this.latest?.players.find((q) => q[0] === this.me);
    return p ? [p[1], p[2], p[5]] : null;
  }
}

async function until(what: string, ms: number, ok: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Keys holds arrow keys down on a page to steer one way. */
class Keys {
  private held = new Set<string>();
  constructor(private readonly page: Page) {}

  async steer(dx: number, dy: number): Promise<void> {
    const want = new Set<string>();
    if (dx > 0) want.add("ArrowRight");
    if (dx < 0) want.add("ArrowLeft");
    if (dy > 0) want.add("KeyS");
    if (dy < 0) want.add("KeyW");
    for (const k of this.held) if (!want.has(k)) await this.page.keyboard.up(k);
    for (const k of want) if (!this.held.has(k)) await this.page.keyboard.down(k);
    this.held = want;
  }
}

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

async function newPlayer(): Promise<{ ctx: BrowserContext; page: Page; watch: Watch }> {
  const ctx = await browser!.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  const page = await ctx.newPage();
  const watch = new Watch(page);
  await page.goto(baseURL + "/");
  return { ctx, page, watch };
}

test("two players meet in a private lobby, collect coins and outlive their tokens", { timeout: 120_000 }, async () => {
  const started = Date.now();
  const suffix = Math.random().toString(36).slice(2, 7);

  // Alice registers and creates a private lobby.
  const a = await newPlayer();
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
  const b = await newPlayer();
  await b.page.fill("#guest-name", "bob");
  await b.page.getByRole("button", { name: /guest/i }).click();
  await b.page.waitForSelector("#join-code");
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

  // No socket was replaced and snapshots never stalled: the reauths were invisible.
  for (const [who, p] of [["alice", a], ["bob", b]] as const) {
    assert.equal(p.watch.sockets, 1, `${who} opened ${p.watch.sockets} sockets`);
    assert.equal(p.watch.closes.length, 0, `${who}'s socket closed`);
    assert.ok(p.watch.maxGapMs < 1000, `${who} went ${p.watch.maxGapMs} ms without a snapshot`);
    assert.ok(await p.page.locator("#conn-banner.hidden").count(), `${who} sees the connection banner`);
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

  // Leaving takes Bob back to the lobby browser, and Alice sees him go.
  await b.page.click("#leave");
  await b.page.waitForSelector("#quick-play");
  await until("Bob to leave Alice's scoreboard", 5000, async () => (await a.page.locator("#scoreboard .score-row").count()) === 1);
});
