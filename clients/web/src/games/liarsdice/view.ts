// Liar's Dice in the game screen (src/ui/game.ts): your dice, the table's dice counts, the bid
// standing, whose turn it is with a countdown, the bid controls and the challenge button, the
// last reveal, and the match's start and results.

import { busy, h, replace } from "../../dom.ts";
import type { LobbyEvent, Score } from "../../protocol.ts";
import type { GameSnapshot, GameView, ViewContext } from "../view.ts";
import "./liarsdice.css";
import { diceInPlay, Faces, isState, lowestRaise, minFace, pips, raises, type Reveal, type State } from "./state.ts";

export class LiarsDiceView implements GameView {
  private ctx!: ViewContext;
  private latest: State | null = null;
  private latestAt = 0;
  private timer = 0;
  private key = "";
  private shownReveal = -1;
  private results: Score[] | null = null;
  // The hand and bid this page last acted on, and when, so that one click sends one input; an
  // input the server refused may be sent again after a moment.
  private sentFor = "";
  private sentAt = 0;

  private readonly table = h("ol", { class: "ld-table", id: "ld-table" });
  private readonly mine = h("div", { class: "ld-dice mine", id: "ld-my-dice", ariaLabel: "Your dice" });
  private readonly bid = h("div", { class: "ld-bid", id: "ld-bid", ariaLive: "polite" });
  private readonly turn = h("div", { class: "ld-turn", id: "ld-turn", ariaLive: "polite" });
  private readonly countdown = h("div", { class: "hud-timer ld-countdown", id: "ld-countdown" });
  private readonly count = h("input", { id: "ld-count", type: "number", value: "1", ariaLabel: "How many dice" });
  private readonly face = h("select", { id: "ld-face", ariaLabel: "Which face" });
  private readonly bidBtn = h("button", { class: "btn primary", id: "ld-bid-btn", type: "button", text: "Bid" });
  private readonly challengeBtn = h("button", { class: "btn secondary ld-liar", id: "ld-challenge", type: "button", text: "Liar!" });
  private readonly controls = h("div", { class: "ld-controls", id: "ld-controls" });
  private readonly problem = h("p", { class: "form-error small", id: "ld-problem", role: "alert" });
  private readonly reveal = h("div", { class: "ld-reveal", id: "ld-reveal", ariaLive: "polite" });
  private readonly center = h("div", { class: "ld-center" });

  mount(el: HTMLElement, ctx: ViewContext): void {
    this.ctx = ctx;
    this.count.min = "1";
    this.count.inputMode = "numeric";
    this.bidBtn.addEventListener("click", () => this.sendBid());
    this.challengeBtn.addEventListener("click", () => this.send({ challenge: true }));
    replace(this.controls, this.count, h("span", { class: "ld-times", text: "×" }), this.face, this.bidBtn, this.challengeBtn);
    replace(this.reveal, h("p", { class: "muted small", text: "No challenge yet." }));
    replace(ctx.hud, this.countdown);
    ctx.help.textContent = "Bid a count of one face among all the dice on the table, or call the last bid a lie.";
    replace(
      el,
      h(
        "div",
        { class: "stage ld-stage", id: "liarsdice" },
        this.center,
        h("div", { class: "card ld-play" }, h("div", { class: "ld-status" }, this.turn), this.bid, h("h3", { text: "Your dice" }), this.mine, this.controls, this.problem),
      ),
      h(
        "aside",
        { class: "hud-side" },
        h("div", { class: "card side-card" }, h("h3", { text: "Table" }), this.table),
        h("div", { class: "card side-card" }, h("h3", { text: "Last challenge" }), this.reveal),
        h(
          "div",
          { class: "card side-card how" },
          h("h3", { text: "How to play" }),
          h(
            "ul",
            {},
            h("li", { text: "Raise the bid: more dice, or as many of a higher face." }),
            h("li", { text: "Call “Liar!” when you doubt it: all dice are shown, the wrong side loses one." }),
            h("li", { text: "Run out of time and you lose a die. The last player with dice wins." }),
          ),
        ),
      ),
    );
    this.renderCenter();
    this.timer = window.setInterval(() => this.renderCountdown(), 100);
  }

  unmount(): void {
    window.clearInterval(this.timer);
  }

  snapshot(s: GameSnapshot): void {
    if (!isState(s)) return;
    if (this.latest && s.hand !== this.latest.hand) this.problem.textContent = "";
    this.latest = s;
    this.latestAt = performance.now();
    this.render(s);
  }

  event(name: string, data: unknown): void {
    if (name === "reveal" && data && typeof data === "object") this.renderReveal(data as Reveal);
  }

  lobby(e: LobbyEvent | { kind: "rejoined" }): void {
    switch (e.kind) {
      case "round_over":
        this.results = (e as LobbyEvent).scores ?? [];
        break;
      case "state":
        if (this.ctx.state === "running") this.results = null;
        break;
      case "rejoined":
        this.sentFor = ""; // what the old socket sent is never acknowledged
        break;
    }
    this.key = "";
    if (this.latest) this.render(this.latest);
    this.renderCenter();
  }

  /** name is a seat's display name, "you" for this page's; Name starts a sentence with it. */
  private name(id: number): string {
    if (id === this.ctx.me) return "you";
    return this.ctx.players.get(id)?.name ?? `player ${id}`;
  }

  private Name(id: number): string {
    const n = this.name(id);
    return id === this.ctx.me ? "You" : n;
  }

  /** whose is a seat's possessive: "your" or "ada's". */
  private whose(id: number): string {
    return id === this.ctx.me ? "your" : `${this.name(id)}'s`;
  }

  private send(fields: Record<string, unknown>): void {
    const s = this.latest;
    if (!s) return;
    const key = `${s.hand}:${s.bid.join(",")}`;
    if (this.acted(s)) return;
    if (this.ctx.sendInput(fields) !== 0) {
      this.sentFor = key;
      this.sentAt = performance.now();
      this.renderButtons(s);
    }
  }

  private sendBid(): void {
    const s = this.latest;
    const count = Number(this.count.value);
    const face = Number(this.face.value);
    if (!s || !raises(s, count, face)) {
      this.problem.textContent = `Bid more dice, or as many of a higher face (at most ${s ? diceInPlay(s) : 0} dice).`;
      return;
    }
    this.problem.textContent = "";
    this.send({ bid: [count, face] });
  }

  private render(s: State): void {
    const key = JSON.stringify([s.hand, s.players, s.turn, s.bid, s.dice, s.winner, s.ones_wild, this.ctx.players.size]);
    if (key !== this.key) {
      this.key = key;
      this.renderTable(s);
      this.renderTurn(s);
    }
    if (s.reveal && s.reveal.hand !== this.shownReveal) this.renderReveal(s.reveal);
    this.renderCountdown();
  }

  private renderTable(s: State): void {
    replace(
      this.table,
      ...s.players.map(([id, dice, away]) =>
        h(
          "li",
          {
            class: `ld-seat${id === this.ctx.me ? " me" : ""}${id === s.turn ? " turn" : ""}${away ? " away" : ""}${dice === 0 ? " out" : ""}`,
            dataset: { player: String(id), dice: String(dice) },
          },
          h("span", { class: "ld-name", text: this.Name(id) }),
          h("span", { class: "ld-hidden", text: "■".repeat(dice), title: `${dice} dice` }),
          h("span", { class: "ld-count", text: String(dice) }),
        ),
      ),
    );
    replace(
      this.mine,
      ...(s.dice.length > 0
        ? s.dice.map((d) => h("span", { class: "die", text: pips(d), dataset: { face: String(d) }, title: String(d) }))
        : [h("span", { class: "muted small", text: this.ctx.spectator ? "Spectators see the dice when a challenge shows them." : "You hold no dice this hand." })]),
    );
  }

  private renderTurn(s: State): void {
    this.bid.textContent = s.bid.length === 0 ? (s.turn ? "No bid yet this hand." : "") : `${this.Name(s.bid[2])} bid ${s.bid[0]} × ${pips(s.bid[1])} (${s.bid[1]})`;
    const mine = s.turn !== 0 && s.turn === this.ctx.me;
    this.turn.textContent = s.turn === 0 ? (s.winner ? `${this.Name(s.winner)} ${s.winner === this.ctx.me ? "win" : "wins"} the match` : "Waiting for the match") : mine ? "Your turn" : `${this.Name(s.turn)}'s turn`;
    this.turn.classList.toggle("mine", mine);
    const lo = minFace(s);
    if (this.face.options.length !== Faces - lo + 1) {
      replace(
        this.face,
        ...Array.from({ length: Faces - lo + 1 }, (_, i) => {
          const o = h("option", { text: `${pips(lo + i)} ${lo + i}` });
          o.value = String(lo + i); // h sets no value on an option
          return o;
        }),
      );
    }
    this.count.max = String(diceInPlay(s));
    const next = lowestRaise(s);
    if (mine && next) {
      this.count.value = String(next[0]);
      this.face.value = String(next[1]);
    }
    this.count.disabled = this.face.disabled = !mine;
    this.controls.hidden = this.ctx.spectator;
    this.renderButtons(s);
  }

  /** acted tells whether this page has just sent its input for the bid standing. */
  private acted(s: State): boolean {
    return this.sentFor === `${s.hand}:${s.bid.join(",")}` && performance.now() - this.sentAt < 1500;
  }

  private renderButtons(s: State): void {
    const mine = s.turn !== 0 && s.turn === this.ctx.me && !this.acted(s);
    this.bidBtn.disabled = !mine || !lowestRaise(s);
    this.challengeBtn.disabled = !mine || s.bid.length === 0;
  }

  private renderCountdown(): void {
    const s = this.latest;
    if (s) this.renderButtons(s);
    if (!s || s.turn === 0) {
      this.countdown.textContent = "";
      return;
    }
    const left = Math.max(0, s.turn_ms - (performance.now() - this.latestAt));
    this.countdown.textContent = `${Math.ceil(left / 1000)} s`;
    this.countdown.classList.toggle("urgent", left < 5000);
  }

  private renderReveal(r: Reveal): void {
    if (r.hand === this.shownReveal) return;
    this.shownReveal = r.hand;
    const stood = r.actual >= r.count;
    const wild = this.latest?.ones_wild ?? true;
    replace(
      this.reveal,
      h("p", {
        class: "ld-verdict",
        text: `${this.Name(r.challenger)} called ${this.whose(r.bidder)} ${r.count} × ${pips(r.face)} a lie: there were ${r.actual}. ${stood ? "The bid stood" : "The bid failed"}; ${this.name(r.loser)} lost a die.`,
      }),
      h(
        "ul",
        { class: "ld-revealed" },
        ...r.dice.map((d) =>
          h(
            "li",
            { dataset: { player: String(d.player) } },
            h("span", { class: "ld-name", text: this.Name(d.player) }),
            ...d.dice.map((f) => h("span", { class: `die${f === r.face || (wild && f === 1) ? " hit" : ""}`, text: pips(f), dataset: { face: String(f) } })),
          ),
        ),
      ),
    );
  }

  // renderCenter shows the match's start for the host and its results.
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
            this.problem.textContent = (e as Error).message;
          }
        }),
      );
      return b;
    };
    if (this.results && this.ctx.state !== "running") {
      replace(
        this.center,
        h(
          "div",
          { class: "panel results", id: "results" },
          h("h2", { text: "Match over" }),
          h("p", { class: "winner", text: this.results[0] ? `${this.results[0].player === this.ctx.me ? "You win" : `${this.results[0].name} wins`}!` : "Nobody won." }),
          h(
            "ol",
            { class: "ranking" },
            ...this.results.map((r, i) =>
              h(
                "li",
                { class: r.player === this.ctx.me ? "me" : "" },
                h("span", { class: `rank r${Math.min(i + 1, 4)}`, text: String(i + 1) }),
                h("span", { class: "score-name", text: r.name }),
                h("span", { class: "score", text: String(r.score), title: "players outlasted" }),
              ),
            ),
          ),
          host ? startBtn("Play again") : h("p", { class: "muted", text: "Waiting for the host to deal again…" }),
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
          { class: "panel ld-waiting" },
          h("h2", { text: players < 2 ? "Waiting for players" : "Ready when you are" }),
          h("p", { class: "muted", text: this.ctx.lobby.code ? `Share the code ${this.ctx.lobby.code}: 2 to 6 players.` : "2 to 6 players." }),
          host ? startBtn("Deal") : h("p", { class: "muted", text: "The host deals." }),
        ),
      );
      return;
    }
    replace(this.center);
  }
}
