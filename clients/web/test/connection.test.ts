// The connection's life cycle against a scripted server: the bearer subprotocol, in-band reauth,
// and what each close code leads to.
import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";

import { ApiError } from "../src/api.ts";
import { decodeFrame, encodeFrame, type Frame } from "../src/codec.ts";
import { Connection, LobbyGone, ServerError, timing, type ConnectionEvents, type Socket, type Status, type Tokens } from "../src/connection.ts";
import type { Welcome } from "../src/protocol.ts";

// FakeSocket stands in for the browser's WebSocket; the test plays the server.
class FakeSocket implements Socket {
  binaryType: BinaryType = "blob";
  onmessage: ((ev: MessageEvent) => void) | null = null;
  onclose: ((ev: CloseEvent) => void) | null = null;
  onerror: ((ev: Event) => void) | null = null;
  sent: Frame[] = [];
  closed = false;

  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {}

  send(data: Uint8Array<ArrayBuffer>): void {
    this.sent.push(decodeFrame(data));
  }

  close(): void {
    this.closed = true;
  }

  /** deliver plays a server frame. */
  deliver(f: Frame): void {
    const b = encodeFrame(f);
    this.onmessage?.({ data: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) } as MessageEvent);
  }

  /** welcome plays the server's first frame, for a token expiring at exp (unix s). */
  welcome(exp: number): void {
    this.deliver({ t: "welcome", d: { protocol: 1, account: { id: "a1", username: "ada" }, exp, server_time: Date.now() } });
  }

  /** shut plays the server closing with code. */
  shut(code: number, reason = ""): void {
    this.onclose?.({ code, reason } as CloseEvent);
  }

  lastSent(t: string): Frame | undefined {
    return this.sent.filter((f) => f.t === t).pop();
  }
}

// FakeTokens issues numbered tokens; refresh can be made to fail.
class FakeTokens implements Tokens {
  n = 1;
  refreshes = 0;
  failWith: Error | null = null;
  lifetime = 900_000;
  issuedAt = Date.now();
  get accessToken(): string {
    return `tok${this.n}`;
  }
  get expiresAt(): number {
    return this.issuedAt + this.lifetime;
  }
  async refresh(): Promise<string> {
    this.refreshes++;
    if (this.failWith) throw this.failWith;
    this.n++;
    this.issuedAt = Date.now();
    return this.accessToken;
  }
}

interface Harness {
  conn: Connection;
  tokens: FakeTokens;
  sockets: FakeSocket[];
  welcomes: boolean[];
  statuses: Status[];
  ended: string[];
}

const saved = { ...timing };
beforeEach(() => {
  timing.backoffFirst = 5;
  timing.backoffMax = 40;
});
afterEach(() => Object.assign(timing, saved));

let live: Connection[] = [];
afterEach(() => {
  live.forEach((c) => c.stop());
  live = [];
});

function harness(): Harness {
  const tokens = new FakeTokens();
  const sockets: FakeSocket[] = [];
  const h: Harness = { conn: null!, tokens, sockets, welcomes: [], statuses: [], ended: [] };
  const events: ConnectionEvents = {
    onWelcome: (_w: Welcome, reconnected) => h.welcomes.push(reconnected),
    onFrame: () => {},
    onStatus: (s) => h.statuses.push(s),
    onEnded: (m) => h.ended.push(m),
  };
  h.conn = new Connection(tokens, "ws://play.example/ws", events, (url, protocols) => {
    const s = new FakeSocket(url, protocols);
    sockets.push(s);
    return s;
  });
  live.push(h.conn);
  return h;
}

async function until(what: string, ok: () => boolean): Promise<void> {
  const end = Date.now() + 2000;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const inAMinute = () => Math.floor(Date.now() / 1000) + 60;

test("the token travels as the bearer subprotocol, never in the address", () => {
  const h = harness();
  h.conn.start();
  assert.equal(h.sockets.length, 1);
  assert.deepEqual(h.sockets[0]!.protocols, ["tickwire.v1", "bearer.tok1"]);
  assert.equal(h.sockets[0]!.url, "ws://play.example/ws");
});

test("reauth_required is answered in band with a refreshed token, on the same socket", async () => {
  const h = harness();
  h.conn.start();
  const ws = h.sockets[0]!;
  ws.welcome(inAMinute());
  ws.deliver({ t: "reauth_required", d: { exp: inAMinute() } });
  await until("a reauth frame", () => ws.lastSent("reauth") !== undefined);
  const r = ws.lastSent("reauth")!;
  assert.deepEqual(r.d, { token: "tok2" });
  ws.deliver({ t: "reauth_ok", id: r.id!, d: { exp: inAMinute() + 60 } });
  await until("the reauth to count", () => h.conn.reauths === 1);
  assert.equal(h.sockets.length, 1, "a new socket was opened");
  assert.equal(h.tokens.refreshes, 1);
});

test("a short-lived token is renewed before the server asks", async () => {
  const h = harness();
  h.tokens.lifetime = 3000;
  h.conn.start();
  const ws = h.sockets[0]!;
  ws.welcome(Math.floor(Date.now() / 1000) + 3);
  await until("a reauth frame", () => ws.lastSent("reauth") !== undefined);
  assert.equal(h.sockets.length, 1);
});

test("4001 refreshes the token and reconnects", async () => {
  const h = harness();
  h.conn.start();
  h.sockets[0]!.welcome(inAMinute());
  h.sockets[0]!.shut(4001, "token expired");
  await until("a second socket", () => h.sockets.length === 2);
  assert.equal(h.tokens.refreshes, 1, "no refresh before reconnecting");
  assert.deepEqual(h.sockets[1]!.protocols, ["tickwire.v1", "bearer.tok2"]);
  h.sockets[1]!.welcome(inAMinute());
  assert.deepEqual(h.welcomes, [false, true]);
  assert.deepEqual(h.ended, []);
});

test("4003 ends the session: a message, and no reconnect", async () => {
  const h = harness();
  h.conn.start();
  h.sockets[0]!.welcome(inAMinute());
  h.sockets[0]!.shut(4003, "session revoked: logout");
  assert.equal(h.ended.length, 1);
  assert.match(h.ended[0]!, /session has ended \(logout\)/);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(h.sockets.length, 1);
});

test("1001 and a lost network reconnect with growing waits", async () => {
  const h = harness();
  h.conn.start();
  h.sockets[0]!.welcome(inAMinute());
  h.sockets[0]!.shut(1001, "server shutting down");
  await until("a second socket", () => h.sockets.length === 2);
  // The server is still down: the next attempts fail before opening.
  h.sockets[1]!.shut(1006);
  await until("a third socket", () => h.sockets.length === 3);
  h.sockets[2]!.shut(1006);
  await until("a fourth socket", () => h.sockets.length === 4);
  // The waits before the three attempts: 5 ms, then 5-10, then 10-20 (halved at most by jitter),
  // so the third is always longer than the first; the second may equal it.
  const waits = h.statuses
    .filter((s) => s.kind === "reconnecting")
    .map((s) => (s.kind === "reconnecting" ? s.inMs : 0))
    .filter((ms) => ms > 0);
  assert.ok(waits.length >= 3 && waits[2]! > waits[0]!, `waits ${waits}`);
  // A socket that never opened may have been refused for its token: renewed before the retry.
  assert.ok(h.tokens.refreshes >= 1);
  h.sockets[3]!.welcome(inAMinute());
  assert.deepEqual(h.welcomes, [false, true]);
});

test("a refresh refused for good ends the session instead of retrying", async () => {
  const h = harness();
  h.conn.start();
  h.sockets[0]!.welcome(inAMinute());
  h.tokens.failWith = new ApiError(401, "token_revoked", "revoked");
  h.sockets[0]!.shut(4001, "token expired");
  await until("the end", () => h.ended.length === 1);
  assert.equal(h.sockets.length, 1);
});

test("an error frame rejects its request with the server's code", async () => {
  const h = harness();
  h.conn.start();
  const ws = h.sockets[0]!;
  ws.welcome(inAMinute());
  const p = h.conn.request("join", { code: "NOPE" });
  const sent = ws.lastSent("join")!;
  ws.deliver({ t: "error", id: sent.id!, d: { code: "not_found", message: "no such lobby" } });
  await assert.rejects(p, (e: unknown) => e instanceof ServerError && e.code === "not_found");
});

test("a join answered moved moves the connection to that node and sends the join there, once", async () => {
  const h = harness();
  h.conn.start();
  const first = h.sockets[0]!;
  first.welcome(inAMinute());
  const joined = h.conn.join({ code: "QX4TMR" });
  const asked = first.lastSent("join")!;
  assert.deepEqual(asked.d, { code: "QX4TMR" });
  first.deliver({ t: "error", id: asked.id, d: { code: "moved", message: "the lobby is on node b", url: "ws://b.example/ws", join: { code: "QX4TMR" } } });
  await until("a socket to the other node", () => h.sockets.length === 2);
  const second = h.sockets[1]!;
  assert.equal(first.closed, true);
  assert.equal(second.url, "ws://b.example/ws");
  assert.deepEqual(second.protocols, ["tickwire.v1", "bearer.tok1"]);
  second.welcome(inAMinute());
  await until("the join sent there", () => second.lastSent("join") !== undefined);
  const there = second.lastSent("join")!;
  assert.deepEqual(there.d, { code: "QX4TMR" });
  second.deliver({ t: "joined", id: there.id, d: { lobby: { id: "l1" }, player: 1 } });
  const got = await joined;
  assert.equal(got.t, "joined");

  // A second moved is the caller's.
  const again = h.conn.join({ lobby: "l2" });
  const ask2 = second.lastSent("join")!;
  second.deliver({ t: "error", id: ask2.id, d: { code: "moved", message: "elsewhere", url: "ws://c.example/ws", join: { lobby: "l2" } } });
  await until("a socket to the third node", () => h.sockets.length === 3);
  const third = h.sockets[2]!;
  third.welcome(inAMinute());
  await until("the join sent to the third node", () => third.lastSent("join") !== undefined);
  const ask3 = third.lastSent("join")!;
  third.deliver({ t: "error", id: ask3.id, d: { code: "moved", message: "elsewhere again", url: "ws://d.example/ws", join: { lobby: "l2" } } });
  await assert.rejects(again, (e: unknown) => e instanceof ServerError && e.code === "moved");
  assert.equal(h.sockets.length, 3);
});

// joinVia plays a join answered moved to ws://b.example/ws and joined there in lobby; it
// returns the socket on node b.
async function joinVia(h: Harness, d: Record<string, unknown>, lobby: string): Promise<FakeSocket> {
  const first = h.sockets.at(-1)!;
  const joined = h.conn.join(d);
  const asked = first.lastSent("join")!;
  first.deliver({ t: "error", id: asked.id, d: { code: "moved", message: "on node b", url: "ws://b.example/ws", join: d } });
  await until("a socket to node b", () => h.sockets.at(-1) !== first);
  const b = h.sockets.at(-1)!;
  b.welcome(inAMinute());
  await until("the join sent to node b", () => b.lastSent("join") !== undefined);
  b.deliver({ t: "joined", id: b.lastSent("join")!.id, d: { lobby: { id: lobby }, player: 7 } });
  await joined;
  return b;
}

// answerJoin waits for the next join on ws and answers it with f's type and payload.
async function answerJoin(ws: FakeSocket, before: number, t: string, d: unknown): Promise<Frame> {
  await until("a join", () => ws.sent.filter((f) => f.t === "join").length > before);
  const j = ws.lastSent("join")!;
  ws.deliver({ t, id: j.id, d });
  return j;
}

test("a node moved to that stops taking sockets sends the connection back to the first node", async () => {
  const h = harness();
  h.conn.start();
  h.sockets[0]!.welcome(inAMinute());
  const b = await joinVia(h, { quick: true }, "l1");
  b.shut(1006); // the node dies under a welcomed socket
  for (let n = 0; n < timing.fallbackAfter; n++) {
    const count = h.sockets.length;
    await until(`redial ${n + 1} to node b`, () => h.sockets.length === count + 1);
    assert.equal(h.sockets.at(-1)!.url, "ws://b.example/ws");
    h.sockets.at(-1)!.shut(1006); // refused: closed before any welcome
  }
  const count = h.sockets.length;
  await until("a socket to the first node", () => h.sockets.length === count + 1);
  assert.equal(h.sockets.at(-1)!.url, "ws://play.example/ws");
  assert.equal(h.conn.fellBack, 1);
  const said = h.statuses.filter((s) => s.kind === "reconnecting" && /not answering/.test(s.reason));
  assert.equal(said.length, 1, `statuses ${JSON.stringify(h.statuses)}`);
  // The backoff starts over on the first node: its first wait is the first one.
  assert.ok(said[0]!.kind === "reconnecting" && said[0]!.inMs === timing.backoffFirst, JSON.stringify(said[0]));
  h.sockets.at(-1)!.welcome(inAMinute());
  assert.deepEqual(h.welcomes.slice(-1), [true]);
  assert.deepEqual(h.ended, []);
});

test("a socket that was welcomed and drops again stays on its node", async () => {
  const h = harness();
  h.conn.start();
  h.sockets[0]!.welcome(inAMinute());
  await joinVia(h, { code: "QX4TMR" }, "l1");
  for (let n = 0; n < timing.fallbackAfter + 2; n++) {
    const count = h.sockets.length;
    h.sockets.at(-1)!.shut(1006);
    await until(`redial ${n + 1}`, () => h.sockets.length === count + 1);
    assert.equal(h.sockets.at(-1)!.url, "ws://b.example/ws");
    h.sockets.at(-1)!.welcome(inAMinute()); // a flaky network, not a dead node
  }
  assert.equal(h.conn.fellBack, 0);
});

test("place: a quick-joined lobby that is gone is quick-joined again, for the same game", async () => {
  const h = harness();
  h.conn.start();
  h.sockets[0]!.welcome(inAMinute());
  await joinVia(h, { quick: true, game: "liarsdice" }, "l1");
  const origin = h.sockets.at(-1)!; // say, after a fallback
  const placed = h.conn.place("l1");
  const byID = await answerJoin(origin, 1, "error", { code: "not_found", message: "no such lobby" });
  assert.deepEqual(byID.d, { lobby: "l1" });
  const quick = await answerJoin(origin, 2, "joined", { lobby: { id: "l9" }, player: 3 });
  assert.deepEqual(quick.d, { quick: true, game: "liarsdice" });
  assert.equal(await placed, "placed");
});

test("place: a lobby joined by code that is gone is LobbyGone; one still there is rejoined, following moved", async () => {
  const h = harness();
  h.conn.start();
  h.sockets[0]!.welcome(inAMinute());
  const b = await joinVia(h, { code: "QX4TMR" }, "l1");
  const gone = h.conn.place("l1");
  await answerJoin(b, 1, "error", { code: "not_found", message: "no such lobby" });
  await assert.rejects(gone, (e: unknown) => e instanceof LobbyGone && e.code === "lobby_gone" && e.lobby === "l1");
  assert.equal(b.sent.filter((f) => f.t === "join").length, 2, "no quick join for a lobby joined by code");

  // The lobby is on another node: place follows moved there once and rejoins it by id.
  const back = h.conn.place("l1");
  await answerJoin(b, 2, "error", { code: "moved", message: "on node c", url: "ws://c.example/ws", join: { lobby: "l1" } });
  await until("a socket to node c", () => h.sockets.at(-1)!.url === "ws://c.example/ws");
  const c = h.sockets.at(-1)!;
  c.welcome(inAMinute());
  const there = await answerJoin(c, 0, "joined", { lobby: { id: "l1" }, player: 7 });
  assert.deepEqual(there.d, { lobby: "l1" });
  assert.equal(await back, "rejoined");
});
