// The game screen: the arena on a canvas, steering, and the HUD around it.

import type { Connection } from "../connection.ts";
import type { Frame } from "../codec.ts";
import { busy, h, replace } from "../dom.ts";
import { isSnapshot, type ArenaCoin, type Joined, type LobbyEvent, type LobbyInfo, type LobbyState, type PlayerInfo, type Score, type Snapshot } from "../protocol.ts";
import { Steering } from "./input.ts";
import { Predictor } from "./predict.ts";
import { colorOf, Renderer, type Disc, type Effect } from "./render.ts";
import { Timeline } from "./timeline.ts";

/** The fastest the page sends inputs, per second; at higher tick rates the server holds the last one. */
const maxInputRate = 60;

export interface GameCallbacks {
  /** onExit leaves the screen: the player left, was kicked, or the lobby closed. */
  onExit(message?: string): void;
}

export class GameView {
  readonly el: HTMLElement;
  readonly lobbyID: string;
  private lobby: LobbyInfo;
  private me: number;
  private state: LobbyState;
  private names = new Map<number, PlayerInfo>();

  private readonly canvas: HTMLCanvasElement;
  private readonly renderer: Renderer;
  private readonly steering: Steering;
  private readonly predictor = new Predictor();
  private readonly timeline = new Timeline();

  private latest: Snapshot | null = null;
  private latestAt = 0;
  private coinBorn = new Map<number, number>();
  private effects: Effect[] = [];
  // When recent snapshots arrived and their ticks, for the HUD's tick rate.
  private arrivals: [number, number][] = [];
  private results: Score[] | null = null;

  private raf = 0;
  private lastFrame = 0;
  private acc = 0;
  private lastSent: [number, number] = [0, 0];
  private hudAt = 0;
  private scoreKey = "";
  private disposed = false;
  // The socket (by its welcome count) on which this page holds its seat: inputs go only there,
  // not onto a fresh socket before the seat has been taken back.
  private seatedOn: number;

  // HUD parts.
  private readonly timer = h("div", { class: "hud-timer", id: "round-timer", text: "--:--" });
  private readonly phase = h("div", { class: "hud-phase", id: "round-phase" });
  private readonly board = h("ol", { class: "scoreboard", id: "scoreboard", ariaLive: "polite" });
  private readonly net = h("div", { class: "hud-net", id: "net-stats" });
  private readonly center = h("div", { class: "hud-center" });
  private readonly codeBox = h("div", { class: "hud-code" });

  constructor(
    private readonly conn: Connection,
    joined: Joined,
    private readonly cb: GameCallbacks,
  ) {
    this.seatedOn = conn.welcomes;
    this.lobbyID = joined.lobby.id;
    this.lobby = joined.lobby;
    this.me = joined.player;
    this.state = joined.lobby.state;
    this.setPlayers(joined.lobby.players);
    this.timeline.setRate(joined.lobby.tick_rate);

    this.canvas = h("canvas", { class: "arena", id: "arena", ariaLabel: "The arena" });
    this.canvas.setAttribute("role", "img");
    this.renderer = new Renderer(this.canvas);

    const leave = h("button", { class: "btn ghost", id: "leave", type: "button", text: "Leave" });
    leave.addEventListener("click", () =>
      void busy(leave, async () => {
        try {
          await this.conn.request("leave");
        } catch {
          // Leaving while disconnected: the seat times out on its own.
        }
        this.cb.onExit();
      }),
    );

    const stage = h("div", { class: "stage" }, this.canvas, this.center);
    this.steering = new Steering(this.canvas);
    this.el = h(
      "section",
      { class: "screen game" },
      h(
        "header",
        { class: "hud-top" },
        h("div", { class: "hud-left" }, h("div", { class: "hud-lobby", text: this.lobby.name }), this.codeBox),
        h("div", { class: "hud-mid" }, this.timer, this.phase),
        h("div", { class: "hud-right" }, leave),
      ),
      stage,
      h(
        "aside",
        { class: "hud-side" },
        h("div", { class: "card side-card" }, h("h3", { text: "Scores" }), this.board),
        h(
          "div",
          { class: "card side-card how" },
          h("h3", { text: "How to play" }),
          h(
            "ul",
            {},
            h("li", { text: "Collect the gold coins: one point each." }),
            h("li", { text: "Bump rivals out of your way." }),
            h("li", { text: "Most coins when the clock hits zero wins." }),
          ),
        ),
      ),
      h("footer", { class: "hud-bottom" }, this.net, h("div", { class: "hud-help", text: "Move with WASD or the arrow keys, or drag on the arena." })),
    );
    this.renderCode();
    this.renderCenter();
    this.raf = requestAnimationFrame((t) => this.frame(t));
  }

  /** onFrame takes the frames of this lobby. */
  onFrame(f: Frame): void {
    switch (f.t) {
      case "snapshot":
        if (isSnapshot(f.d)) this.onSnapshot(f.d);
        return;
      case "event":
        this.onEvent(f.d as LobbyEvent);
        return;
      case "joined":
        this.rejoined(f.d as Joined);
        return;
    }
  }

  private rejoined(j: Joined): void {
    // A reconnect gave the seat back: the same player, maybe a new state.
    this.seatedOn = this.conn.welcomes;
    this.lobby = j.lobby;
    this.me = j.player;
    this.setState(j.lobby.state);
    this.setPlayers(j.lobby.players);
    this.timeline.setRate(j.lobby.tick_rate);
    // Input sequence numbers are per connection: what the old socket sent will never be
    // acknowledged. Send the current steering at once, since the seat holds the old one.
    this.predictor.dropPending();
    this.lastSent = [NaN, NaN];
  }

  private setPlayers(ps: PlayerInfo[]): void {
    this.names = new Map(ps.map((p) => [p.id, p]));
    this.scoreKey = "";
  }

  private onSnapshot(s: Snapshot): void {
    const now = performance.now();
    this.timeline.push(s, now);
    const mine = s.players.find((p) => p[0] === this.me);
    if (mine) this.predictor.reconcile(mine[1], mine[2], s.ack, s.w, s.h);

    const prev = this.latest;
    const seen = new Set<number>();
    for (const c of s.coins ?? []) {
      seen.add(c[0]);
      if (!this.coinBorn.has(c[0])) this.coinBorn.set(c[0], prev ? now : 0);
    }
    if (prev) {
      for (const c of prev.coins ?? []) {
        if (!seen.has(c[0])) {
          this.coinBorn.delete(c[0]);
          this.effects.push({ kind: "sparkle", x: c[1], y: c[2], born: now, color: "#fde68a" });
        }
      }
      const before = new Map(prev.players.map((p) => [p[0], p[5]]));
      for (const p of s.players) {
        const b = before.get(p[0]);
        if (b !== undefined && p[5] > b) {
          const at = p[0] === this.me && this.predictor.has ? [this.predictor.x, this.predictor.y] : [p[1], p[2]];
          this.effects.push({ kind: "plus", x: at[0]!, y: at[1]!, born: now, color: colorOf(p[0]) });
        }
      }
    }
    this.latest = s;
    this.latestAt = now;
    this.arrivals.push([now, s.tick]);
    while (this.arrivals.length > 0 && now - this.arrivals[0]![0] > 3000) this.arrivals.shift();
  }

  private onEvent(e: LobbyEvent): void {
    switch (e.kind) {
      case "player_joined":
      case "player_reconnected":
      case "player_disconnected":
        if (e.player) this.names.set(e.player.id, e.player);
        break;
      case "player_left":
        if (e.player) {
          this.names.delete(e.player.id);
          if (e.player.id === this.me) this.cb.onExit("You left the lobby.");
          this.inferHost();
        }
        break;
      case "host_changed":
        if (e.player) {
          for (const [id, p] of this.names) if (p.host) this.names.set(id, { ...p, host: false });
          this.names.set(e.player.id, { ...e.player, host: true });
          this.renderCenter();
        }
        break;
      case "state":
        if (e.state) this.setState(e.state);
        break;
      case "round_over":
        this.results = e.scores ?? [];
        this.renderCenter();
        break;
      case "kicked":
        this.cb.onExit(e.reason === "kicked by the host" ? "The host removed you from the lobby." : `You left the lobby: ${e.reason ?? "removed"}.`);
        return;
      case "lobby_closed":
        this.cb.onExit("The lobby has closed.");
        return;
    }
    this.scoreKey = "";
  }

  private setState(s: LobbyState): void {
    if (s === "running") this.results = null;
    this.state = s;
    this.renderCenter();
  }

  // inferHost follows the engine's rule when the host leaves, which no event announces: the
  // earliest-seated connected player becomes host.
  private inferHost(): void {
    const seats = [...this.names.values()];
    if (seats.some((p) => p.host)) return;
    const next = seats.filter((p) => !p.spectator && p.connected).sort((a, b) => a.id - b.id)[0];
    if (next) this.names.set(next.id, { ...next, host: true });
  }

  private get isHost(): boolean {
    return this.names.get(this.me)?.host === true;
  }

  private frame(t: number): void {
    if (this.disposed) return;
    this.raf = requestAnimationFrame((t2) => this.frame(t2));
    const dt = this.lastFrame ? Math.min((t - this.lastFrame) / 1000, 0.1) : 0;
    this.lastFrame = t;
    this.stepInput(dt);
    this.predictor.smooth(dt);
    this.draw(t);
    if (t - this.hudAt > 200) {
      this.hudAt = t;
      this.renderHUD(t);
    }
  }

  // stepInput sends the steering at a fixed rate and predicts its effect.
  private stepInput(dt: number): void {
    const s = this.latest;
    const rate = Math.min(this.lobby.tick_rate, maxInputRate);
    const stepMs = 1000 / rate;
    this.acc += dt * 1000;
    if (this.acc > stepMs * 4) this.acc = stepMs; // after a stall, do not replay it all at once
    while (this.acc >= stepMs) {
      this.acc -= stepMs;
      if (!s || !this.conn.isOpen || this.conn.welcomes !== this.seatedOn || this.state === "closed") continue;
      const [dx, dy] = this.renderer.toWorld(...this.steering.direction());
      const changed = dx !== this.lastSent[0] || dy !== this.lastSent[1];
      if (dx === 0 && dy === 0 && !changed) continue; // the server holds the last input
      const seq = this.predictor.input(dx, dy, stepMs / 1000, s.w, s.h);
      if (this.conn.send("input", { seq, dx, dy })) this.lastSent = [dx, dy];
    }
  }

  private draw(now: number): void {
    const s = this.latest;
    const discs: Disc[] = [];
    if (s) {
      const rt = this.timeline.renderTick(now);
      for (const p of s.players) {
        const info = this.names.get(p[0]);
        const name = info?.name ?? `player ${p[0]}`;
        const away = info ? !info.connected : false;
        if (p[0] === this.me && this.predictor.has) {
          discs.push({ id: p[0], x: this.predictor.x + this.predictor.ox, y: this.predictor.y + this.predictor.oy, vx: p[3], vy: p[4], name, me: true, away: false });
          continue;
        }
        const pos = this.timeline.position(p[0], rt) ?? [p[1], p[2], p[3], p[4]];
        discs.push({ id: p[0], x: pos[0], y: pos[1], vx: pos[2], vy: pos[3], name, me: false, away });
      }
    }
    this.effects = this.effects.filter((e) => now - e.born < 1000);
    const coins: ArenaCoin[] = s?.coins ?? [];
    this.renderer.draw({
      w: s?.w ?? 800,
      h: s?.h ?? 600,
      discs,
      coins,
      coinBorn: this.coinBorn,
      effects: this.effects,
      stick: this.steering.stick,
      now,
      live: this.state === "running",
    });
  }

  private renderHUD(now: number): void {
    const s = this.latest;
    if (s && this.state === "running") {
      const left = Math.max(0, s.round_ms - (now - this.latestAt));
      const sec = Math.ceil(left / 1000);
      this.timer.textContent = `${Math.floor(sec / 60)}:${String(sec % 60).padStart(2, "0")}`;
      this.timer.classList.toggle("urgent", sec <= 10);
    } else {
      this.timer.textContent = this.state === "finished" ? "0:00" : "--:--";
      this.timer.classList.remove("urgent");
    }
    this.phase.textContent = { waiting: "Waiting to start", running: "Round in progress", finished: "Round over", closed: "Closed" }[this.state];

    // The server's tick rate as seen over the last three seconds (ticks advanced per second,
    // which late or superseded snapshots do not skew), once a second of them has arrived.
    const arr = this.arrivals;
    const first = arr[0];
    const last = arr[arr.length - 1];
    const span = first && last ? last[0] - first[0] : 0;
    const hz = span >= 1000 ? Math.round(((last![1] - first![1]) * 1000) / span) : this.lobby.tick_rate;
    const rtt = this.conn.rtt;
    const ping = rtt < 0 ? "–" : rtt < 1 ? "<1" : String(Math.round(rtt));
    const players = [...this.names.values()].filter((p) => !p.spectator).length;
    replace(
      this.net,
      stat("Ping", `${ping} ms`, "ping", rtt > 150 ? "bad" : rtt > 80 ? "meh" : "good"),
      stat("Tick", `${hz} Hz`, "tick", hz < this.lobby.tick_rate * 0.8 ? "meh" : "good"),
      stat("Players", `${players}/${this.lobby.max_players}`, "players", ""),
    );

    // The scoreboard changes rarely; rebuild it only when it does.
    const rows = (s?.players ?? []).map((p) => ({ id: p[0], score: p[5] }));
    for (const p of this.names.values()) if (!p.spectator && !rows.some((r) => r.id === p.id)) rows.push({ id: p.id, score: 0 });
    rows.sort((a, b) => b.score - a.score || a.id - b.id);
    const key = rows.map((r) => `${r.id}:${r.score}:${this.names.get(r.id)?.connected}:${this.names.get(r.id)?.host}`).join(",") + `:${this.isHost}`;
    if (key !== this.scoreKey) {
      this.scoreKey = key;
      replace(
        this.board,
        ...rows.map((r) => {
          const info = this.names.get(r.id);
          const li = h(
            "li",
            { class: `score-row${r.id === this.me ? " me" : ""}${info && !info.connected ? " away" : ""}`, dataset: { player: String(r.id) } },
            h("span", { class: `dot c${(r.id - 1) % 8}` }),
            h("span", { class: "score-name", text: info?.name ?? `player ${r.id}`, title: r.id === this.me ? "You" : "" }),
            info?.host ? h("span", { class: "tag", text: "host", title: "Starts rounds" }) : null,
            this.isHost && r.id !== this.me ? this.kickButton(r.id, info?.name ?? "") : null,
            h("span", { class: "score", text: String(r.score) }),
          );
          return li;
        }),
      );
      this.renderCenter();
    }
  }

  private kickButton(id: number, name: string): HTMLElement {
    const b = h("button", { class: "kick", type: "button", text: "✕", title: `Remove ${name} from the lobby`, ariaLabel: `Remove ${name}` });
    b.addEventListener("click", () =>
      void busy(b, async () => {
        try {
          await this.conn.request("kick", { player: id });
        } catch (e) {
          b.title = (e as Error).message;
        }
      }),
    );
    return b;
  }

  private renderCode(): void {
    const code = this.lobby.code;
    if (!code) {
      replace(this.codeBox, h("span", { class: "muted small", text: "Public lobby" }));
      return;
    }
    const link = `${location.origin}/#join=${encodeURIComponent(code)}`;
    const copy = h("button", { class: "btn tiny", type: "button", text: "Copy invite link", title: link });
    copy.addEventListener("click", () => {
      if (!navigator.clipboard) {
        copy.textContent = link; // no clipboard outside secure contexts: show the link instead
        return;
      }
      void navigator.clipboard.writeText(link).then(
        () => {
          copy.textContent = "Copied!";
          setTimeout(() => (copy.textContent = "Copy invite link"), 1500);
        },
        () => {
          copy.textContent = link;
        },
      );
    });
    replace(this.codeBox, h("span", { class: "muted small", text: "Join code" }), h("strong", { class: "join-code", id: "join-code-value", text: code }), copy);
  }

  // renderCenter shows what the arena needs said: waiting, the start button, the results.
  private renderCenter(): void {
    const host = this.isHost;
    const startBtn = (label: string) => {
      const b = h("button", { class: "btn primary big", id: "start-round", type: "button", text: label });
      b.addEventListener("click", () =>
        void busy(b, async () => {
          try {
            await this.conn.request("start");
          } catch (e) {
            b.title = (e as Error).message;
          }
        }),
      );
      return b;
    };
    if (this.results && this.state !== "running") {
      const best = this.results[0]?.score ?? 0;
      replace(
        this.center,
        h(
          "div",
          { class: "panel results", id: "results" },
          h("h2", { text: "Round over" }),
          this.results.length && best > 0
            ? h("p", { class: "winner", text: this.results.filter((r) => r.score === best).length > 1 ? "A tie at the top!" : `${this.results[0]!.name} wins!` })
            : h("p", { class: "winner", text: "No coins this time." }),
          h(
            "ol",
            { class: "ranking" },
            ...this.results.map((r, i) =>
              h(
                "li",
                { class: r.player === this.me ? "me" : "" },
                h("span", { class: `rank r${Math.min(i + 1, 4)}`, text: String(i + 1) }),
                h("span", { class: "score-name", text: r.name }),
                h("span", { class: "score", text: String(r.score) }),
              ),
            ),
          ),
          host ? startBtn("Play again") : h("p", { class: "muted", text: "Waiting for the next round…" }),
        ),
      );
      return;
    }
    if (this.state === "waiting") {
      const players = [...this.names.values()].filter((p) => !p.spectator).length;
      replace(
        this.center,
        h(
          "div",
          { class: "panel waiting" },
          h("h2", { text: players < 2 ? "Waiting for players" : "Ready when you are" }),
          h("p", {
            class: "muted",
            text: this.lobby.code ? `Share the code ${this.lobby.code} with friends. Warm up meanwhile: you can move already.` : "Warm up meanwhile: you can move already.",
          }),
          host ? startBtn("Start round") : h("p", { class: "muted", text: "The host starts the round." }),
        ),
      );
      return;
    }
    replace(this.center);
  }

  dispose(): void {
    this.disposed = true;
    cancelAnimationFrame(this.raf);
    this.steering.dispose();
  }
}

function stat(label: string, value: string, id: string, mood: string): HTMLElement {
  return h("span", { class: `stat ${mood}`, dataset: { stat: id } }, h("span", { class: "stat-label", text: label }), h("span", { class: "stat-value", text: value }));
}
