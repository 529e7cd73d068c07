// The lobby browser: quick play, create a lobby, join by code, and the public lobbies,
// refreshed while the screen is open.

import type { Session } from "../api.ts";
import { busy, h, replace } from "../dom.ts";
import type { Lobby } from "../protocol.ts";

/** refreshEvery is how often the list of public lobbies is fetched again, in ms. */
export const refreshEvery = 3000;

export interface LobbyActions {
  quick(): Promise<void>;
  create(name: string, priv: boolean, maxPlayers: number): Promise<void>;
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

  constructor(
    private readonly session: Session,
    private readonly actions: LobbyActions,
    notice?: string,
  ) {
    this.err = h("p", { class: "form-error", role: "alert", ariaLive: "polite", text: notice ?? "" });
    this.list = h("div", { class: "lobby-list", ariaLive: "polite" }, h("p", { class: "muted", text: "Loading lobbies…" }));
    this.updated = h("span", { class: "muted small" });

    const quickBtn = h("button", { class: "btn primary big", id: "quick-play", type: "button", text: "Quick play" });
    quickBtn.addEventListener("click", () => void busy(quickBtn, () => this.run(actions.quick)));

    const name = h("input", { id: "lobby-name", name: "lobby-name", placeholder: "Lobby name (optional)", maxLength: 48, autocomplete: "off" });
    const priv = h("input", { id: "lobby-private", name: "lobby-private", type: "checkbox", checked: true });
    const max = h("select", { id: "lobby-max", name: "lobby-max" });
    for (const n of [2, 4, 6, 8, 12, 16]) {
      const o = h("option", { text: `${n} players` });
      o.value = String(n);
      if (n === 8) o.selected = true;
      max.appendChild(o);
    }
    const createBtn = h("button", { class: "btn primary", id: "create-lobby", type: "submit", text: "Create lobby" });
    const createForm = h(
      "form",
      {
        class: "stack",
        onsubmit: (e) => {
          e.preventDefault();
          void busy(createBtn, () => this.run(() => actions.create(name.value.trim(), priv.checked, Number(max.value))));
        },
      },
      h("label", { class: "sr-only", for: "lobby-name", text: "Lobby name" }),
      name,
      h(
        "div",
        { class: "row" },
        h("label", { class: "check", for: "lobby-private" }, priv, h("span", { text: "Private (join by code)" })),
        h("label", { class: "sr-only", for: "lobby-max", text: "Most players" }),
        max,
      ),
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
            quickBtn,
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
    void this.refresh();
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
        { class: "lobby-row", dataset: { lobby: l.id } },
        h("div", { class: "lobby-name" }, h("strong", { text: l.name }), h("span", { class: "muted small", text: `${l.game} · ${l.tick_rate} Hz` })),
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
