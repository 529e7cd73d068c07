// The arena's view: the walled field on a canvas, steering with prediction, the round's clock,
// the scoreboard and the results, inside the game screen (src/ui/game.ts).

import { busy, h, replace } from "../../dom.ts";
import { isSnapshot, type ArenaCoin, type LobbyEvent, type LobbyState, type Score, type Snapshot } from "../../protocol.ts";
import type { GameSnapshot, GameView, ViewContext } from "../view.ts";
import { Steering } from "./input.ts";
import { Predictor } from "./predict.ts";
import { colorOf, Renderer, type Disc, type Effect } from "./render.ts";
import { Timeline } from "./timeline.ts";

/** The fastest the page sends inputs, per second; at higher tick rates the server holds the last one. */
const maxInputRate = 60;

export class ArenaView implements GameView {
  private ctx!: ViewContext;
  private canvas!: HTMLCanvasElement;
  private renderer!: Renderer;
  private steering!: Steering;
  private readonly predictor = new Predictor();
  private readonly timeline = new Timeline();

  private latest: Snapshot | null = null;
  private latestAt = 0;
  private coinBorn = new Map<number, number>();
  private effects: Effect[] = [];
  private results: Score[] | null = null;

  private raf = 0;
  private lastFrame = 0;
  private acc = 0;
  private lastSent: [number, number] = [0, 0];
  private hudAt = 0;
  private scoreKey = "";
  private disposed = false;

  // HUD parts.
  private readonly timer = h("div", { class: "hud-timer", id: "round-timer", text: "--:--" });
  private readonly board = h("ol", { class: "scoreboard", id: "scoreboard", ariaLive: "polite" });
  private readonly center = h("div", { class: "hud-center" });

  mount(el: HTMLElement, ctx: ViewContext): void {
    this.ctx = ctx;
    this.timeline.setRate(ctx.lobby.tick_rate);
    this.canvas = h("canvas", { class: "arena", id: "arena", ariaLabel: "The arena" });
    this.canvas.setAttribute("role", "img");
    this.renderer = new Renderer(this.canvas);
    this.steering = new Steering(this.canvas);
    replace(ctx.hud, this.timer);
    ctx.help.textContent = "Move with WASD or the arrow keys, or drag on the arena.";
    replace(
      el,
      h("div", { class: "stage" }, this.canvas, this.center),
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
    );
    this.renderCenter();
    this.raf = requestAnimationFrame((t) => this.frame(t));
  }

  snapshot(s: GameSnapshot): void {
    if (isSnapshot(s)) this.onSnapshot(s);
  }

  event(): void {
    // The arena has no game events.
  }

  lobby(e: LobbyEvent | { kind: "rejoined" }): void {
    switch (e.kind) {
      case "rejoined":
        this.rejoined();
        break;
      case "state":
        this.setState(this.ctx.state);
        break;
      case "round_over":
        this.results = e.scores ?? [];
        this.renderCenter();
        break;
      case "host_changed":
        this.renderCenter();
        break;
    }
    this.scoreKey = "";
  }

  private rejoined(): void {
    // A reconnect gave the seat back: the same player, maybe a new state. Input sequence
    // numbers are per connection: what the old socket sent will never be acknowledged. Send
    // the current steering at once, since the seat holds the old one.
    this.timeline.setRate(this.ctx.lobby.tick_rate);
    this.setState(this.ctx.state);
    this.predictor.dropPending();
    this.lastSent = [NaN, NaN];
  }

  private onSnapshot(s: Snapshot): void {
    const now = performance.now();
    this.timeline.push(s, now);
    const mine = s.players.find((p) => p[0] === this.ctx.me);
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
          const at = p[0] === this.ctx.me && this.predictor.has ? [this.predictor.x, this.predictor.y] : [p[1], p[2]];
          this.effects.push({ kind: "plus", x: at[0]!, y: at[1]!, born: now, color: colorOf(p[0]) });
        }
      }
    }
    this.latest = s;
    this.latestAt = now;
  }

  private setState(s: LobbyState): void {
    if (s === "running") this.results = null;
    this.renderCenter();
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
    const rate = Math.min(this.ctx.lobby.tick_rate, maxInputRate);
    const stepMs = 1000 / rate;
    this.acc += dt * 1000;
    if (this.acc > stepMs * 4) this.acc = stepMs; // after a stall, do not replay it all at once
    while (this.acc >= stepMs) {
      this.acc -= stepMs;
      if (!s) continue;
      const [dx, dy] = this.renderer.toWorld(...this.steering.direction());
      const changed = dx !== this.lastSent[0] || dy !== this.lastSent[1];
      if (dx === 0 && dy === 0 && !changed) continue; // the server holds the last input
      const seq = this.ctx.sendInput({ dx, dy });
      if (seq === 0) continue;
      this.predictor.input(dx, dy, stepMs / 1000, s.w, s.h, seq);
      this.lastSent = [dx, dy];
    }
  }

  private draw(now: number): void {
    const s = this.latest;
    const discs: Disc[] = [];
    if (s) {
      const rt = this.timeline.renderTick(now);
      for (const p of s.players) {
        const info = this.ctx.players.get(p[0]);
        const name = info?.name ?? `player ${p[0]}`;
        const away = info ? !info.connected : false;
        if (p[0] === this.ctx.me && this.predictor.has) {
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
      live: this.ctx.state === "running",
    });
  }

  private renderHUD(now: number): void {
    const s = this.latest;
    if (s && this.ctx.state === "running") {
      const left = Math.max(0, s.round_ms - (now - this.latestAt));
      const sec = Math.ceil(left / 1000);
      this.timer.textContent = `${Math.floor(sec / 60)}:${String(sec % 60).padStart(2, "0")}`;
      this.timer.classList.toggle("urgent", sec <= 10);
    } else {
      this.timer.textContent = this.ctx.state === "finished" ? "0:00" : "--:--";
      this.timer.classList.remove("urgent");
    }
    // The scoreboard changes rarely; rebuild it only when it does.
    const rows = (s?.players ?? []).map((p) => ({ id: p[0], score: p[5] }));
    for (const p of this.ctx.players.values()) if (!p.spectator && !rows.some((r) => r.id === p.id)) rows.push({ id: p.id, score: 0 });
    rows.sort((a, b) => b.score - a.score || a.id - b.id);
    const key = rows.map((r) => `${r.id}:${r.score}:${this.ctx.players.get(r.id)?.connected}:${this.ctx.players.get(r.id)?.host}`).join(",") + `:${this.ctx.isHost}`;
    if (key !== this.scoreKey) {
      this.scoreKey = key;
      replace(
        this.board,
        ...rows.map((r) => {
          const info = this.ctx.players.get(r.id);
          const li = h(
            "li",
            { class: `score-row${r.id === this.ctx.me ? " me" : ""}${info && !info.connected ? " away" : ""}`, dataset: { player: String(r.id) } },
            h("span", { class: `dot c${(r.id - 1) % 8}` }),
            h("span", { class: "score-name", text: info?.name ?? `player ${r.id}`, title: r.id === this.ctx.me ? "You" : "" }),
            info?.host ? h("span", { class: "tag", text: "host", title: "Starts rounds" }) : null,
            this.ctx.isHost && r.id !== this.ctx.me ? this.kickButton(r.id, info?.name ?? "") : null,
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
          await this.ctx.request("kick", { player: id });
        } catch (e) {
          b.title = (e as Error).message;
        }
      }),
    );
    return b;
  }

  // renderCenter shows what the arena needs said: waiting, the start button, the results.
  private renderCenter(): void {
    const host = this.ctx.isHost;
    const startBtn = (label: string) => {
      const b = h("button", { class: "btn primary big", id: "start-round", type: "button", text: label });
      b.addEventListener("click", () =>
        void busy(b, async () => {
          try {
            await this.ctx.request("start");
          } catch (e) {
            b.title = (e as Error).message;
          }
        }),
      );
      return b;
    };
    if (this.results && this.ctx.state !== "running") {
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
                { class: r.player === this.ctx.me ? "me" : "" },
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
    if (this.ctx.state === "waiting") {
      const players = [...this.ctx.players.values()].filter((p) => !p.spectator).length;
      replace(
        this.center,
        h(
          "div",
          { class: "panel waiting" },
          h("h2", { text: players < 2 ? "Waiting for players" : "Ready when you are" }),
          h("p", {
            class: "muted",
            text: this.ctx.lobby.code ? `Share the code ${this.ctx.lobby.code} with friends. Warm up meanwhile: you can move already.` : "Warm up meanwhile: you can move already.",
          }),
          host ? startBtn("Start round") : h("p", { class: "muted", text: "The host starts the round." }),
        ),
      );
      return;
    }
    replace(this.center);
  }

  unmount(): void {
    this.disposed = true;
    cancelAnimationFrame(this.raf);
    this.steering.dispose();
  }
}
