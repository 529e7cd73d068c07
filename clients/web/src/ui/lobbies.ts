// The lobby browser: quick play, create a lobby of a chosen game with its options, join by
// code, and the public lobbies with their games, refreshed while the screen is open.

import type { Session } from "../api.ts";
import { busy, h, replace } from "../dom.ts";
import type { GameInfo, GameOption, Lobby } from "../protocol.ts";

/** refreshEvery is how often the list of public lobbies is fetched again, in ms. */
export const refreshEvery = 3000;

/** CreateRequest is what the create form asks for; game and options are left out while the
 * server's games are unknown, which makes the default game's lobby. */
export interface CreateRequest {
  name: string;
  private: boolean;
  maxPlayers: number;
  game?: string;
  options?: Record<string, unknown>;
}

/** sizes are the lobby sizes offered, within each game's bounds. */
const sizes = [2, 3, 4, 6, 8, 12, 16];

export interface LobbyActions {
  /** quick joins a lobby of game (the server's default when absent). */
  quick(game?: string): Promise<void>;
  create(r: CreateRequest): Promise<void>;
  joinCode(code: string): Promise<void>;
  joinID(id: string): Promise<void>;
}

export class LobbiesView {
  readonly el: HTMLElement;
  private readonly list: HTMLElement;
  private readonly err: HTMLElement;
  private readonly updated: HTMLElement;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;
  private games: GameInfo[] = [];
  // shown is the list last rendered, drawn again once the games arrive: the rows name each
  // lobby's game by its display name, which only the games list knows.
  private shown: Lobby[] | undefined;
  private readonly gamePick = h("select", { id: "lobby-game", name: "lobby-game" });
  private readonly quickPick = h("select", { id: "quick-game", name: "quick-game" });
  private readonly max = h("select", { id: "lobby-max", name: "lobby-max" });
  private readonly optionsBox = h("div", { class: "stack game-options", id: "lobby-options" });
  // The option inputs of the game picked, read when the form is sent.
  private optionInputs: [string, GameOption, HTMLInputElement | HTMLSelectElement][] = [];

  constructor(
    private readonly session: Session,
    private readonly actions: LobbyActions,
    notice?: string,
  ) {
    this.err = h("p", { class: "form-error", role: "alert", ariaLive: "polite", text: notice ?? "" });
    this.list = h("div", { class: "lobby-list", ariaLive: "polite" }, h("p", { class: "muted", text: "Loading lobbies…" }));
    this.updated = h("span", { class: "muted small" });

    const quickBtn = h("button", { class: "btn primary big", id: "quick-play", type: "button", text: "Quick play" });
    quickBtn.addEventListener("click", () => void busy(quickBtn, () => this.run(() => actions.quick(this.quickPick.value || undefined))));
    this.quickPick.hidden = true;
    this.gamePick.hidden = true;
    this.gamePick.addEventListener("change", () => this.renderGame());

    const name = h("input", { id: "lobby-name", name: "lobby-name", placeholder: "Lobby name (optional)", maxLength: 48, autocomplete: "off" });
    const priv = h("input", { id: "lobby-private", name: "lobby-private", type: "checkbox", checked: true });
    const max = this.max;
    this.renderSizes(1, 64);
    const createBtn = h("button", { class: "btn primary", id: "create-lobby", type: "submit", text: "Create lobby" });
    const createForm = h(
      "form",
      {
        class: "stack",
        onsubmit: (e) => {
          e.preventDefault();
          void busy(createBtn, () => this.run(() => actions.create(this.createRequest(name.value.trim(), priv.checked))));
        },
      },
      h("label", { class: "sr-only", for: "lobby-game", text: "Game" }),
      this.gamePick,
      h("label", { class: "sr-only", for: "lobby-name", text: "Lobby name" }),
      name,
      h(
        "div",
        { class: "row" },
        h("label", { class: "check", for: "lobby-private" }, priv, h("span", { text: "Private (join by code)" })),
        h("label", { class: "sr-only", for: "lobby-max", text: "Most players" }),
        max,
      ),
      this.optionsBox,
      createBtn,
    );

    const code = h("input", {
      id: "join-code",
      name: "join-code",
      placeholder: "CODE",
      autocomplete: "off",
      maxLength: 12,
      class: "code-input",
    });
    code.spellcheck = false;
    code.autocapitalize = "characters";
    const joinBtn = h("button", { class: "btn primary", id: "join-code-btn", type: "submit", text: "Join" });
    const joinForm = h(
      "form",
      {
        class: "row",
        onsubmit: (e) => {
          e.preventDefault();
          const c = code.value.trim().toUpperCase();
          if (!c) {
            this.err.textContent = "Type the code your friend shared.";
            return;
          }
          void busy(joinBtn, () => this.run(() => actions.joinCode(c)));
        },
      },
      h("label", { class: "sr-only", for: "join-code", text: "Join code" }),
      code,
      joinBtn,
    );

    this.el = h(
      "section",
      { class: "screen lobbies" },
      h(
        "div",
        { class: "lobby-grid" },
        h(
          "div",
          { class: "col" },
          h(
            "div",
            { class: "card hero" },
            h("h2", { text: "Play now" }),
            h("p", { class: "muted", text: "Drop into the busiest open lobby, or a fresh one. Rounds start when a second player arrives." }),
            h("div", { class: "row" }, h("label", { class: "sr-only", for: "quick-game", text: "Game to play" }), this.quickPick, quickBtn),
          ),
          h("div", { class: "card" }, h("h2", { text: "Join with a code" }), joinForm),
          h("div", { class: "card" }, h("h2", { text: "Create a lobby" }), createForm),
        ),
        h(
          "div",
          { class: "col wide" },
          h(
            "div",
            { class: "card grow" },
            h("div", { class: "card-head" }, h("h2", { text: "Open lobbies" }), this.updated),
            this.err,
            this.list,
          ),
        ),
      ),
    );
    void this.loadGames();
    void this.refresh();
  }

  // loadGames fetches the server's games once, for the pickers; without them the forms make
  // and join the default game's lobbies.
  private async loadGames(): Promise<void> {
    try {
      const games = await this.session.games();
      if (this.disposed || games.length === 0) return;
      this.games = games;
    } catch {
      return;
    }
    for (const pick of [this.gamePick, this.quickPick]) {
      replace(pick, ...this.games.map((g) => option(g.display_name, g.name)));
      pick.hidden = this.games.length < 2;
    }
    this.renderGame();
    if (this.shown) this.render(this.shown);
  }

  private gameInfo(name: string): GameInfo | undefined {
    return this.games.find((g) => g.name === name);
  }

  // renderGame shows the sizes and the options of the game picked.
  private renderGame(): void {
    const g = this.gameInfo(this.gamePick.value);
    if (!g) return;
    this.renderSizes(g.min_players, g.max_players);
    this.optionInputs = [];
    const rows = Object.entries(g.options).map(([key, o]) => {
      const id = `option-${key}`;
      let input: HTMLInputElement | HTMLSelectElement;
      switch (o.type) {
        case "bool":
          input = h("input", { id, name: id, type: "checkbox", checked: o.default === true });
          break;
        case "enum":
          input = h("select", { id, name: id }, ...(o.values ?? []).map((v) => option(v, v)));
          input.value = String(o.default);
          break;
        case "int":
          input = h("input", { id, name: id, type: "number", value: String(o.default) });
          if (o.min !== undefined) input.min = String(o.min);
          if (o.max !== undefined) input.max = String(o.max);
          input.step = "1";
          break;
        default:
          input = h("input", { id, name: id, value: String(o.default), autocomplete: "off" });
          if (o.max !== undefined) input.maxLength = o.max;
      }
      this.optionInputs.push([key, o, input]);
      const label = o.description || key;
      if (o.type === "bool") return h("label", { class: "check", for: id, title: key }, input, h("span", { text: label }));
      return h("label", { class: "option", for: id, title: key }, h("span", { class: "muted small", text: label }), input);
    });
    replace(this.optionsBox, ...rows);
  }

  // renderSizes offers the lobby sizes between lo and hi, keeping the size picked when it fits.
  private renderSizes(lo: number, hi: number): void {
    const was = Number(this.max.value) || 8;
    const fit = sizes.filter((n) => n >= lo && n <= hi);
    if (fit.length === 0) fit.push(hi);
    const pick = fit.includes(was) ? was : fit.filter((n) => n <= was).pop() ?? fit[0]!;
    replace(this.max, ...fit.map((n) => option(`${n} players`, String(n))));
    this.max.value = String(pick);
  }

  private createRequest(name: string, priv: boolean): CreateRequest {
    const r: CreateRequest = { name, private: priv, maxPlayers: Number(this.max.value) };
    if (!this.gameInfo(this.gamePick.value)) return r;
    r.game = this.gamePick.value;
    const options: Record<string, unknown> = {};
    for (const [key, o, input] of this.optionInputs) {
      if (o.type === "bool") options[key] = (input as HTMLInputElement).checked;
      else if (o.type === "int") options[key] = Number(input.value);
      else options[key] = input.value;
    }
    if (Object.keys(options).length > 0) r.options = options;
    return r;
  }

  private async run(f: () => Promise<void>): Promise<void> {
    this.err.textContent = "";
    try {
      await f();
    } catch (e) {
      if (!this.disposed) this.err.textContent = (e as Error).message;
    }
  }

  private async refresh(): Promise<void> {
    if (this.disposed) return;
    try {
      const lobbies = await this.session.lobbies();
      if (this.disposed) return;
      this.render(lobbies);
      this.updated.textContent = "updated " + new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    } catch (e) {
      if (!this.disposed) this.updated.textContent = "could not refresh: " + (e as Error).message;
    }
    if (!this.disposed) this.timer = setTimeout(() => void this.refresh(), refreshEvery);
  }

  private render(lobbies: Lobby[]): void {
    this.shown = lobbies;
    if (lobbies.length === 0) {
      replace(this.list, h("p", { class: "empty", text: "No public lobbies right now. Quick play opens one, or create your own." }));
      return;
    }
    const rows = lobbies.map((l) => {
      const full = l.players >= l.max_players;
      const btn = h("button", { class: "btn small", type: "button", text: full ? "Full" : "Join", disabled: full });
      btn.addEventListener("click", () => void busy(btn, () => this.run(() => this.actions.joinID(l.id))));
      return h(
        "li",
        { class: "lobby-row", dataset: { lobby: l.id, game: l.game } },
        h("div", { class: "lobby-name" }, h("strong", { text: l.name }), h("span", { class: "muted small lobby-game", text: `${this.gameInfo(l.game)?.display_name ?? l.game} · ${l.tick_rate} Hz` })),
        h("span", { class: `pill state-${l.state}`, text: l.state }),
        h("span", { class: "count", text: `${l.players}/${l.max_players}` }),
        btn,
      );
    });
    replace(this.list, h("ul", { class: "rows" }, ...rows));
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
  }
}

function option(text: string, value: string): HTMLOptionElement {
  const o = h("option", { text });
  o.value = value;
  return o;
}
