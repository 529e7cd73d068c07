// What the end-to-end tests share: the real server binary on a loopback port with a fresh data
// folder, headless Chromium, and a watch on each page's sockets.
//
// Needs bin/tickwire built with the bundle (make webtest does both) and Debian's chromium at
// /usr/bin/chromium (or $CHROMIUM).
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, connect, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

import { decodeFrame } from "../src/codec.ts";
import { isSnapshot, type Joined, type Snapshot } from "../src/protocol.ts";

const here = dirname(fileURLToPath(import.meta.url));
/** webDir is clients/web. */
export const webDir = resolve(here, "..", "..");
const repo = resolve(webDir, "..", "..");
const bin = process.env.TICKWIRE_BIN ?? join(repo, "bin", "tickwire");
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
/** outDir holds the screenshots; it is not committed. */
export const outDir = join(webDir, "test-output");

/** TickwireServer is the binary serving on a loopback port. */
export interface TickwireServer {
  url: string;
  port: number;
  log(): string;
  stop(): Promise<void>;
  /** kill ends the process with SIGKILL, as a crash does, leaving its data folder to stop. */
  kill(): Promise<void>;
}

/** startServer runs bin/tickwire serve on 127.0.0.1:0 with a temporary data folder. */
export function startServer(...flags: string[]): Promise<TickwireServer> {
  return serve(["--addr", "127.0.0.1:0", ...flags]);
}

/** startServerOn runs bin/tickwire serve on 127.0.0.1:port, its --public-url, with a temporary
 * data folder: a node of a cluster, whose public URL must be known before it starts. */
export function startServerOn(port: number, ...flags: string[]): Promise<TickwireServer> {
  return serve(["--addr", `127.0.0.1:${port}`, "--public-url", `http://127.0.0.1:${port}`, ...flags]);
}

/** freePort is a loopback TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const a = s.address();
  assert.ok(a && typeof a === "object");
  await new Promise((r) => s.close(r));
  return a.port;
}

async function serve(flags: string[]): Promise<TickwireServer> {
  assert.ok(existsSync(bin), `${bin} is missing: run make build (make webtest builds it)`);
  const data = mkdtempSync(join(tmpdir(), "tickwire-e2e-"));
  let log = "";
  let proc: ChildProcess | undefined;
  const url = await new Promise<string>((ok, fail) => {
    const p = spawn(bin, ["serve", "--data", data, "--log-level", "warn", ...flags], { stdio: ["ignore", "pipe", "pipe"] });
    proc = p;
    const timer = setTimeout(() => {
      p.kill("SIGKILL");
      fail(new Error(`the server did not start in 15 s:\n${log}`));
    }, 15000);
    p.stderr!.on("data", (b: Buffer) => (log += b.toString()));
    p.stdout!.on("data", (b: Buffer) => {
      log += b.toString();
      const m = /serving at (http:\/\/\S+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        ok(m[1]!);
      }
    });
    p.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`the server exited with ${code}:\n${log}`));
    });
  });
  const res = await fetch(`${url}/web/app.js`);
  assert.equal(res.status, 200, `${bin} was built without the browser bundle: run make web, then make build`);
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc!.once("exit", r));
      proc.kill(signal);
      await exited;
    }
  };
  return {
    url,
    port: Number(new URL(url).port),
    log: () => log,
    stop: async () => {
      await end("SIGTERM");
      rmSync(data, { recursive: true, force: true });
    },
    kill: () => end("SIGKILL"),
  };
}

const natsPath = process.env.NATS_SERVER ?? join(repo, "bin", "nats-server");

/** NATSCluster is nats-server processes, clustered with JetStream, on loopback ports. */
export interface NATSCluster {
  /** urls is the comma-separated client URLs, as --nats takes them. */
  urls: string;
  stop(): Promise<void>;
}

/** startNATS runs count nats-server processes (bin/nats-server, which make webtest builds)
 * routed into one cluster with JetStream, each with a temporary store, and resolves when
 * every one of them is ready for clients. */
export async function startNATS(count: number): Promise<NATSCluster> {
  assert.ok(existsSync(natsPath), `${natsPath} is missing: go build -o bin/nats-server github.com/nats-io/nats-server/v2 (make webtest does)`);
  const ports: Array<[number, number]> = [];
  for (let i = 0; i < count; i++) ports.push([await freePort(), await freePort()]);
  const routes = ports.map(([, c]) => `nats://127.0.0.1:${c}`).join(",");
  const dirs: string[] = [];
  const procs: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(
      procs.map((p) => {
        if (p.exitCode !== null) return Promise.resolve();
        const exited = new Promise((r) => p.once("exit", r));
        p.kill("SIGTERM");
        return exited;
      }),
    );
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  };
  try {
    await Promise.all(
      ports.map(([client, cluster], i) => {
        const dir = mkdtempSync(join(tmpdir(), "tickwire-nats-"));
        dirs.push(dir);
        const args = ["--name", `nats-${i + 1}`, "--addr", "127.0.0.1", "--port", String(client), "--jetstream", "--store_dir", dir];
        if (count > 1) args.push("--cluster_name", "tickwire", "--cluster", `nats://127.0.0.1:${cluster}`, "--routes", routes);
        const p = spawn(natsPath, args, { stdio: ["ignore", "pipe", "pipe"] });
        procs.push(p);
        let log = "";
        return new Promise<void>((ok, fail) => {
          const timer = setTimeout(() => {
            p.kill("SIGKILL");
            fail(new Error(`nats-${i + 1} was not ready in 15 s:\n${log}`));
          }, 15000);
          const seen = (b: Buffer): void => {
            log += b.toString();
            if (log.includes("Server is ready")) {
              clearTimeout(timer);
              ok();
            }
          };
          p.stdout!.on("data", seen);
          p.stderr!.on("data", seen);
          p.once("exit", (code) => {
            clearTimeout(timer);
            fail(new Error(`nats-${i + 1} exited with ${code}:\n${log}`));
          });
        });
      }),
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { urls: ports.map(([c]) => `nats://127.0.0.1:${c}`).join(","), stop };
}

/** Proxy forwards loopback TCP to the server, and can cut every connection at once. */
export class Proxy {
  private readonly conns = new Set<Socket>();
  private server: Server | undefined;
  url = "";

  async start(port: number): Promise<void> {
    this.server = createServer((c) => {
      const up = connect(port, "127.0.0.1");
      for (const s of [c, up]) {
        this.conns.add(s);
        s.on("close", () => this.conns.delete(s));
        s.on("error", () => s.destroy());
      }
      c.pipe(up);
      up.pipe(c);
      c.on("close", () => up.destroy());
      up.on("close", () => c.destroy());
    });
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    const a = this.server.address();
    assert.ok(a && typeof a === "object");
    this.url = `http://127.0.0.1:${a.port}`;
  }

  /** cut drops every open connection, as a lost network does. */
  cut(): void {
    for (const s of this.conns) s.destroy();
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise((r) => this.server?.close(r));
  }
}

/** launchChromium starts Debian's chromium, headless, quiet on the network. */
export function launchChromium(): Promise<Browser> {
  assert.ok(existsSync(chromiumPath), `${chromiumPath} is missing: apt-get install chromium (.ci/run does)`);
  return chromium.launch({
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
}

/** Watch is what one page's sockets carried, read from the browser's own frames. */
export class Watch {
  sockets = 0;
  closes = 0;
  reauthOK = 0;
  me = 0;
  lobby = "";
  joined = 0;
  latest: Snapshot | null = null;
  snapshots = 0;
  /** snapshotsSinceJoined counts the snapshots since the newest joined: after a move to a new
   * lobby, latest is that lobby's only once this is above 0. */
  snapshotsSinceJoined = 0;
  lastSnapAt = 0;
  maxGapMs = 0;
  /** events log snapshot gaps over 250 ms and the reauth exchange, with times (ms, mod 100 s),
   * for failure messages. */
  events: string[] = [];
  /** lastToken is the newest access token the page handed its socket in a reauth. */
  lastToken = "";
  tokensSent = 0;
  problems: string[] = [];

  constructor(readonly page: Page) {
    page.on("websocket", (ws) => {
      this.sockets++;
      ws.on("framereceived", ({ payload }) => this.onFrame(payload));
      ws.on("framesent", ({ payload }) => this.onSent(payload));
      ws.on("close", () => this.closes++);
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
      case "joined": {
        const j = f.d as Joined;
        this.me = j.player;
        this.lobby = j.lobby.id;
        this.joined++;
        this.snapshotsSinceJoined = 0;
        break;
      }
      case "reauth_required":
        this.events.push(`${Date.now() % 100000} reauth_required exp ${(f.d as { exp: number }).exp}`);
        break;
      case "reauth_ok":
        this.reauthOK++;
        this.events.push(`${Date.now() % 100000} reauth_ok`);
        break;
      case "snapshot":
        if (isSnapshot(f.d)) {
          const now = Date.now();
          if (this.lastSnapAt) this.maxGapMs = Math.max(this.maxGapMs, now - this.lastSnapAt);
          if (this.lastSnapAt && now - this.lastSnapAt > 250) this.events.push(`${now % 100000} gap ${now - this.lastSnapAt} ms before tick ${(f.d as Snapshot).tick}`);
          this.lastSnapAt = now;
          this.latest = f.d;
          this.snapshots++;
          this.snapshotsSinceJoined++;
        }
        break;
    }
  }

  private onSent(payload: string | Buffer): void {
    if (typeof payload === "string") return;
    const f = decodeFrame(new Uint8Array(payload));
    if (f.t === "reauth") {
      this.events.push(`${Date.now() % 100000} reauth sent`);
      this.lastToken = (f.d as { token: string }).token;
      this.tokensSent++;
    }
  }

  /** mine is this page's own disc in the newest snapshot: x, y and score. */
  mine(): [number, number, number] | null {
    const p = this.latest?.players.find((q) => q[0] === this.me);
    return p ? [p[1], p[2], p[5]] : null;
  }
}

/** recordBanner keeps every text the connection banner shows, since some show only briefly. */
export async function recordBanner(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { bannerLog: string[] };
    w.bannerLog = [];
    const el = document.getElementById("conn-banner")!;
    new MutationObserver(() => {
      if (!el.classList.contains("hidden")) w.bannerLog.push(el.textContent ?? "");
    }).observe(el, { childList: true, characterData: true, subtree: true, attributes: true });
  });
}

/** bannerLog returns what the connection banner showed since recordBanner. */
export function bannerLog(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { bannerLog: string[] }).bannerLog);
}

/** until polls ok every 50 ms until it holds, or fails after ms. */
export async function until(what: string, ms: number, ok: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Player is one browser context on the page. */
export interface Player {
  ctx: BrowserContext;
  page: Page;
  watch: Watch;
}

/** newPlayer opens the page in a fresh browser context (its own cookies and storage), recording
 * what its connection banner says from the start. */
export async function newPlayer(browser: Browser, url: string): Promise<Player> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  const page = await ctx.newPage();
  const watch = new Watch(page);
  await page.goto(url + "/");
  await page.waitForSelector("#conn-banner", { state: "attached" });
  await recordBanner(page);
  return { ctx, page, watch };
}

/** guest signs a page in as a guest named after name. */
export async function guest(p: Player, name: string): Promise<void> {
  await p.page.fill("#guest-name", name);
  await p.page.getByRole("button", { name: /guest/i }).click();
  await p.page.waitForSelector("#quick-play");
}

/** Keys holds arrow and WASD keys down on a page to steer one way. */
export class Keys {
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

/** WebCluster is what the browser's cluster tests run on: one NATS server with JetStream (a fresh
 * three-server cluster elects a leader for each stream and bucket, seconds apiece on a busy
 * machine; the Go tests of server/clustertest run on three), a database node "db" and a game
 * node "game-1" of the real binary, and Chromium. */
export interface WebCluster {
  nats: NATSCluster;
  db: TickwireServer;
  game: TickwireServer;
  browser: Browser;
  /** stop stops whatever of it started. */
  stop(): Promise<void>;
}

/** startWebCluster starts a WebCluster; on a failure it stops what did start, then throws. */
export async function startWebCluster(): Promise<WebCluster> {
  const began = Date.now();
  const nats = await startNATS(1);
  const natsUp = Date.now();
  const [dbPort, gamePort] = [await freePort(), await freePort()];
  let db: TickwireServer | undefined;
  let game: TickwireServer | undefined;
  let browser: Browser | undefined;
  const stop = async (): Promise<void> => {
    await browser?.close();
    await game?.stop();
    await db?.stop();
    await nats.stop();
  };
  // Each is kept as it comes, so that stop stops what started when another did not.
  const started = await Promise.allSettled([
    startServerOn(dbPort, "--nats", nats.urls, "--node-id", "db").then((s) => (db = s)),
    startServerOn(gamePort, "--nats", nats.urls, "--node-id", "game-1", "--role", "game").then((s) => (game = s)),
    launchChromium().then((b) => (browser = b)),
  ]);
  for (const r of started) {
    if (r.status === "rejected") {
      await stop();
      throw r.reason;
    }
  }
  console.log(`NATS ready in ${natsUp - began} ms, both nodes and Chromium ${Date.now() - natsUp} ms later`);
  return { nats, db: db!, game: game!, browser: browser!, stop };
}

/** socketsOf records the URL of every socket a page opens. */
export function socketsOf(p: Player): string[] {
  const urls: string[] = [];
  p.page.on("websocket", (ws) => urls.push(ws.url()));
  return urls;
}
