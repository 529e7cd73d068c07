// The socket to the server, kept open across everything a player does after signing in.
//
// It owns the protocol's life cycle: the bearer subprotocol, requests with ids, pings for the
// HUD, in-band reauth before the token expires, and what each close code asks for (4001:
// refresh and reconnect; 4003: the session is over; 1001, 1006 and silence: reconnect with
// backoff). Whoever uses it learns of reconnects through onWelcome and puts the player back
// where they were, with place.
//
// In a cluster a join may move the connection to another node (moved). When that node stops
// taking sockets (timing.fallbackAfter dials in a row closed before the welcome: refused,
// answered 5xx, dropped), the connection goes back to the node it was first given, the page's
// own, and place there asks for the lobby again, quick-joining anew if the lobby was
// quick-joined and is gone.

import { ApiError } from "./api.ts";
import { decodeFrame, encodeFrame, type Frame } from "./codec.ts";
import { BearerPrefix, Close, Subprotocol, type ErrorPayload, type Expiry, type Pong, type Welcome } from "./protocol.ts";

/** Tokens is where the connection gets its access token: Session, in the page. */
export interface Tokens {
  readonly accessToken: string;
  /** expiresAt and issuedAt bound the current access token, in ms since the epoch. */
  readonly expiresAt: number;
  readonly issuedAt: number;
  /** refresh renews the access token over HTTP and returns it. */
  refresh(): Promise<string>;
}

/** Socket is the part of the browser's WebSocket the connection uses; tests supply their own. */
export interface Socket {
  binaryType: BinaryType;
  onmessage: ((ev: MessageEvent) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
  send(data: Uint8Array<ArrayBuffer>): void;
  close(code?: number, reason?: string): void;
  /** readyState as the browser's WebSocket has it; a socket without one counts as open. */
  readonly readyState?: number;
}

/** writable reports whether ws takes frames: a closing socket drops them and the browser logs
 * an error for each, so nothing is sent once the close has begun (from either side). */
function writable(ws: Socket): boolean {
  return ws.readyState === undefined || ws.readyState === 1;
}

/** SocketFactory opens a socket to url offering the subprotocols. */
export type SocketFactory = (url: string, protocols: string[]) => Socket;

const browserSockets: SocketFactory = (url, protocols) => new WebSocket(url, protocols);

/** ServerError is an error frame that answered a request. */
export class ServerError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** With code moved: where the lobby is, and the join to send there. */
    readonly moved?: { url: string; join: unknown },
  ) {
    super(message);
  }
}

/** LobbyGone is place's answer when the lobby no longer exists (its node died, or it closed)
 * and it was not quick-joined, so there is nowhere like it to go. */
export class LobbyGone extends ServerError {
  constructor(readonly lobby: string, cause: ServerError) {
    super("lobby_gone", `The lobby is gone: ${cause.message}`);
  }
}

/** Placement is how place put the connection back: in its own lobby (rejoined), or, the lobby
 * being gone, in the lobby a fresh quick join picked (placed). */
export type Placement = "rejoined" | "placed";

/** Status is what the page tells the player about the connection. */
export type Status =
  | { kind: "connecting" }
  | { kind: "open" }
  | { kind: "reconnecting"; attempt: number; inMs: number; reason: string };

export interface ConnectionEvents {
  /** onWelcome runs on every (re)connection; reconnected is false the first time. */
  onWelcome(w: Welcome, reconnected: boolean): void;
  /** onFrame gets every frame that does not answer a request. */
  onFrame(f: Frame): void;
  onStatus(s: Status): void;
  /** onEnded: the session is over (revoked, banned, or it cannot be renewed). */
  onEnded(message: string): void;
}

/** Timings of the connection, in ms. */
export const timing = {
  pingEvery: 2000,
  // A socket that hears nothing for this long (pongs included) is taken for dead.
  silence: 8000,
  requestTimeout: 10000,
  backoffFirst: 300,
  backoffMax: 10000,
  // Dials in a row that the node a join moved the connection to may fail (closed before the
  // welcome) before the connection goes back to the node it was first given.
  fallbackAfter: 2,
  // The page renews its token at least this long before it expires.
  renewLeadMin: 2000,
};

interface Pending {
  resolve(d: unknown): void;
  reject(e: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export class Connection {
  private ws: Socket | null = null;
  private stopped = false;
  private welcomed = false;
  private everWelcomed = false;
  private attempt = 0;
  private nextID = 1;
  private pending = new Map<number, Pending>();
  private timers: ReturnType<typeof setTimeout>[] = [];
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private reauthTimer: ReturnType<typeof setTimeout> | undefined;
  private lastHeard = 0;
  private reauthing = false;
  // Who waits for the next welcome: a move to another node.
  private welcomeWaiters: (() => void)[] = [];
  // The socket's token: when it was issued and expires, unix seconds.
  private iat = 0;
  private exp = 0;
  // The node the connection was first given; url differs from it after a move.
  private readonly origin: string;
  // Sockets in a row that closed before their welcome.
  private failedDials = 0;
  // The join that put the connection in its newest lobby, as the page asked for it.
  private joinedBy: { lobby: string; how: Record<string, unknown> } | null = null;

  /** socketsOpened counts the WebSockets this connection has opened, for diagnostics. */
  socketsOpened = 0;
  /** reauths counts successful in-band reauths. */
  reauths = 0;
  /** rtt is the smoothed round trip of pings, in ms; -1 until the first pong. */
  rtt = -1;
  /** welcomes counts welcomes: each one is a fresh socket on which no lobby is joined yet. */
  welcomes = 0;
  /** fellBack counts the returns to the first node from a node that stopped answering. */
  fellBack = 0;

  constructor(
    private readonly session: Tokens,
    private url: string,
    private readonly events: ConnectionEvents,
    private readonly openSocket: SocketFactory = browserSockets,
  ) {
    this.origin = url;
  }

  get isOpen(): boolean {
    return this.welcomed;
  }

  start(): void {
    this.stopped = false;
    this.open();
  }

  /** stop closes the socket for good; nothing reconnects. */
  stop(): void {
    this.stopped = true;
    this.teardown(new Error("the connection was closed"));
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      detach(ws);
      ws.close(1000, "bye");
    }
  }

  /** send writes a frame that expects no answer; it reports whether the socket was open. */
  send(t: string, d?: unknown): boolean {
    if (!this.ws || !this.welcomed || !writable(this.ws)) return false;
    this.ws.send(encodeFrame(d === undefined ? { t } : { t, d }));
    return true;
  }

  /** request sends a frame with a fresh id and resolves with the payload of its answer. */
  request<T = unknown>(t: string, d: unknown = {}): Promise<{ t: string; d: T }> {
    return new Promise((resolve, reject) => {
      if (!this.ws || !this.welcomed || !writable(this.ws)) {
        reject(new ServerError("not_connected", "Not connected to the server right now."));
        return;
      }
      const id = this.nextID++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ServerError("timeout", "The server did not answer in time."));
      }, timing.requestTimeout);
      this.pending.set(id, {
        resolve: (f) => resolve(f as { t: string; d: T }),
        reject,
        timer,
      });
      this.ws.send(encodeFrame({ t, id, d }));
    });
  }

  /**
   * join sends a join. In a cluster, a lobby on another node answers moved: join then moves
   * the connection to that node (where it also reconnects from then on) and sends the join it
   * was told to there, once; a second moved is the error.
   */
  async join<T = unknown>(d: unknown): Promise<{ t: string; d: T }> {
    let r: { t: string; d: T };
    try {
      r = await this.request<T>("join", d);
    } catch (e) {
      if (!(e instanceof ServerError) || !e.moved) throw e;
      await this.moveTo(e.moved.url);
      r = await this.request<T>("join", e.moved.join ?? d);
    }
    const id = (r.d as { lobby?: { id?: unknown } } | undefined)?.lobby?.id;
    if (r.t === "joined" && typeof id === "string" && d && typeof d === "object") this.joinedBy = { lobby: id, how: d as Record<string, unknown> };
    return r;
  }

  /**
   * place puts the connection back in lobby after a reconnect: a join by id, which within the
   * seat's grace gives the seat back, following moved once. If the lobby is gone (not_found,
   * lobby_closed) or its node did not answer, a connection that had quick-joined lobby
   * quick-joins again for the same game and lands wherever the cluster places it ("placed",
   * with a joined frame for the new lobby); otherwise a gone lobby rejects with LobbyGone, and
   * any other failure with its own error.
   */
  async place(lobby: string): Promise<Placement> {
    const how = this.joinedBy?.lobby === lobby ? this.joinedBy.how : undefined;
    try {
      await this.join({ lobby });
      return "rejoined";
    } catch (e) {
      if (!(e instanceof ServerError)) throw e;
      const gone = e.code === "not_found" || e.code === "lobby_closed";
      // moved twice, or no welcome from the node moved to: the lobby's node is out of reach.
      const outOfReach = e.code === "moved" || (e.code === "timeout" && this.url !== this.origin);
      if (how?.quick !== true) throw gone ? new LobbyGone(lobby, e) : e;
      if (!gone && !outOfReach) throw e;
    }
    await this.join({ quick: true, ...(typeof how?.game === "string" ? { game: how.game } : {}) });
    return "placed";
  }

  /** moveTo closes the socket in use and opens one to url, resolving at its welcome. */
  private moveTo(url: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new ServerError("timeout", "The other server did not answer in time.")), timing.requestTimeout);
      this.welcomeWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.url = url;
      this.failedDials = 0;
      if (this.ws) {
        const ws = this.ws;
        this.ws = null;
        detach(ws);
        ws.close(1000, "moved");
      }
      this.teardown(new ServerError("connection_lost", "The connection moved to another server."));
      this.open();
    });
  }

  private open(): void {
    if (this.stopped) return;
    const token = this.session.accessToken;
    if (!token) {
      this.end("Please sign in again.");
      return;
    }
    this.events.onStatus(this.everWelcomed ? { kind: "reconnecting", attempt: this.attempt, inMs: 0, reason: "" } : { kind: "connecting" });
    let ws: Socket;
    try {
      ws = this.openSocket(this.url, [Subprotocol, BearerPrefix + token]);
    } catch {
      this.retry("the address of the socket is not valid");
      return;
    }
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    this.socketsOpened++;
    this.welcomed = false;
    ws.onmessage = (ev) => this.onMessage(ev);
    ws.onclose = (ev) => {
      if (this.ws === ws) this.onClose(ev.code, ev.reason);
    };
    ws.onerror = () => {
      // onclose follows with the code; nothing to do here.
    };
  }

  private onMessage(ev: MessageEvent): void {
    this.lastHeard = performance.now();
    if (!(ev.data instanceof ArrayBuffer)) return;
    let f: Frame;
    try {
      f = decodeFrame(new Uint8Array(ev.data));
    } catch {
      return; // A frame this page cannot read is skipped; the next snapshot supersedes it.
    }
    if (f.t === "welcome") {
      this.onWelcomeFrame(f.d as Welcome);
      return;
    }
    if (f.id !== undefined && this.pending.has(f.id)) {
      const p = this.pending.get(f.id)!;
      this.pending.delete(f.id);
      clearTimeout(p.timer);
      if (f.t === "error") {
        const e = f.d as ErrorPayload;
        p.reject(new ServerError(e.code, e.message, e.code === "moved" && e.url ? { url: e.url, join: e.join } : undefined));
      } else {
        p.resolve(f);
      }
      if (f.t === "joined") this.events.onFrame(f);
      return;
    }
    switch (f.t) {
      case "pong":
        {
          const ms = Math.max(0, performance.now() - (f.d as Pong).c);
          this.rtt = this.rtt < 0 ? ms : this.rtt * 0.7 + ms * 0.3;
        }
        return;
      case "reauth_required":
        // One about a token already replaced (the page renewed first) needs nothing.
        if ((f.d as Expiry).exp >= this.exp) void this.reauth((f.d as Expiry).exp);
        return;
    }
    this.events.onFrame(f);
  }

  private onWelcomeFrame(w: Welcome): void {
    const reconnected = this.everWelcomed;
    this.welcomed = this.everWelcomed = true;
    this.welcomes++;
    this.attempt = 0;
    this.failedDials = 0;
    this.exp = w.exp;
    this.iat = this.session.issuedAt / 1000;
    this.scheduleReauth();
    this.events.onStatus({ kind: "open" });
    this.startPings();
    this.events.onWelcome(w, reconnected);
    const waiters = this.welcomeWaiters;
    this.welcomeWaiters = [];
    waiters.forEach((f) => f());
  }

  private startPings(): void {
    clearInterval(this.pingTimer);
    this.lastHeard = performance.now();
    const tick = () => {
      if (!this.ws || !this.welcomed) return;
      if (performance.now() - this.lastHeard > timing.silence) {
        // Nothing at all for a while: the network is gone even if the browser has not noticed.
        const ws = this.ws;
        detach(ws);
        ws.close();
        this.onClose(Close.Abnormal, "no answer from the server");
        return;
      }
      if (!writable(this.ws)) return;
      // c is the page's monotonic clock in ms, immune to wall-clock changes.
      this.ws.send(encodeFrame({ t: "ping", d: { c: Math.round(performance.now()) } }));
    };
    tick();
    this.pingTimer = setInterval(tick, timing.pingEvery);
  }

  // The server asks for reauth ahead of expiry (reauth_required, at min(60 s, a quarter of the
  // token's life) before). The page also renews on its own, a little earlier for short-lived
  // tokens: a refresh over HTTP may take a second on a busy server, which a quarter of a 5 s
  // token does not leave. For long-lived tokens the server's word comes first.
  private scheduleReauth(): void {
    clearTimeout(this.reauthTimer);
    const left = this.exp * 1000 - Date.now();
    if (left <= 0) return;
    const life = this.iat > 0 && this.exp > this.iat ? (this.exp - this.iat) * 1000 : left;
    const lead = Math.min(45000, Math.max(timing.renewLeadMin, life * 0.2));
    this.reauthTimer = setTimeout(() => void this.reauth(this.exp), Math.max(0, left - lead));
  }

  /** reauth renews the token over HTTP and hands it to the open socket. */
  private async reauth(exp: number): Promise<void> {
    if (this.reauthing || !this.welcomed) return;
    this.reauthing = true;
    try {
      for (let tries = 0; !this.stopped && this.welcomed; tries++) {
        try {
          const token = await this.session.refresh();
          const r = await this.request<Expiry>("reauth", { token });
          this.iat = this.session.issuedAt / 1000;
          this.exp = r.d.exp;
          this.reauths++;
          this.scheduleReauth();
          return;
        } catch (e) {
          if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
            this.end("Your session has ended. Please sign in again.");
            return;
          }
          // A network hiccup: try again while the token still holds; if it runs out the server
          // closes 4001 and the reconnect path takes over.
          if (Date.now() / 1000 > exp - 1 || tries >= 5) return;
          await sleep(Math.min(2000, 250 * 2 ** tries));
        }
      }
    } finally {
      this.reauthing = false;
    }
  }

  private onClose(code: number, reason: string): void {
    this.ws = null;
    const wasWelcomed = this.welcomed;
    this.teardown(new ServerError("connection_lost", "The connection dropped."));
    if (this.stopped) return;
    switch (code) {
      case Close.Revoked:
        this.end(reason ? `Your session has ended (${reason.replace(/^session revoked: /, "")}). Please sign in again.` : "Your session has ended. Please sign in again.");
        return;
      case Close.TokenExpired:
        this.reconnect(0, true, "the session's token expired");
        return;
      case Close.GoingAway:
        this.retry("the server is restarting");
        return;
      case Close.Policy:
        this.retry(reason || "the server closed the connection");
        return;
      default:
        // A socket that never opened may have been refused for its token; renew it first.
        if (!wasWelcomed) this.failedDials++;
        this.retry(wasWelcomed ? "the connection dropped" : "the server cannot be reached", !wasWelcomed);
    }
  }

  private retry(reason: string, refreshFirst = false): void {
    if (this.failedDials >= timing.fallbackAfter && this.url !== this.origin) {
      // The node a join moved the connection to does not take sockets (it died, or is cut off
      // from its cluster): back to the first node, with a fresh backoff.
      this.url = this.origin;
      this.failedDials = 0;
      this.attempt = 0;
      this.fellBack++;
      reason = "the lobby's server is not answering, back to this page's server";
    }
    const base = Math.min(timing.backoffMax, timing.backoffFirst * 2 ** this.attempt);
    const delay = this.attempt === 0 ? timing.backoffFirst : Math.round(base * (0.5 + Math.random() / 2));
    this.reconnect(delay, refreshFirst, reason);
  }

  private reconnect(delay: number, refreshFirst: boolean, reason: string): void {
    this.attempt++;
    this.events.onStatus({ kind: "reconnecting", attempt: this.attempt, inMs: delay, reason });
    const t = setTimeout(async () => {
      if (this.stopped) return;
      if (refreshFirst || this.session.expiresAt - Date.now() < 5000) {
        try {
          await this.session.refresh();
        } catch (e) {
          if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
            this.end("Your session has expired. Please sign in again.");
          } else {
            this.retry("the server cannot be reached");
          }
          return;
        }
      }
      this.open();
    }, delay);
    this.timers.push(t);
  }

  /** reconnectNow skips the wait of a pending reconnect, as when the browser comes back online. */
  reconnectNow(): void {
    if (this.stopped || this.ws) return;
    this.timers.forEach(clearTimeout);
    this.timers = [];
    this.attempt = 0;
    this.reconnect(0, false, "back online");
  }

  private end(message: string): void {
    this.stop();
    this.events.onEnded(message);
  }

  private teardown(err: Error): void {
    this.welcomed = false;
    clearInterval(this.pingTimer);
    clearTimeout(this.reauthTimer);
    this.timers.forEach(clearTimeout);
    this.timers = [];
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }
}

function detach(ws: Socket): void {
  ws.onmessage = ws.onclose = ws.onerror = null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
