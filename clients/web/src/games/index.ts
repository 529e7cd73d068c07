// The views of the games this page can show, by the name a lobby's game goes by: one line
// per game, its view in its own folder beside this file.

import { h, replace } from "../dom.ts";
import { ArenaView } from "./arena/view.ts";
import { LiarsDiceView } from "./liarsdice/view.ts";
import type { GameSnapshot, GameView, ViewContext } from "./view.ts";

/** views makes a fresh view for each game the page knows. */
export const views: Record<string, () => GameView> = {
  arena: () => new ArenaView(),
  liarsdice: () => new LiarsDiceView(),
};

/** viewFor returns the view of game, or for a game this page has no view of, one that says so
 * and lists the lobby's seats. */
export function viewFor(game: string): GameView {
  const make = Object.hasOwn(views, game) ? views[game] : undefined;
  return make ? make() : new NoView(game);
}

/** NoView stands in for a game the page cannot show: the lobby still works, the game does not. */
class NoView implements GameView {
  private ctx!: ViewContext;
  private readonly seats = h("ul", { class: "rows", id: "seats" });

  constructor(private readonly game: string) {}

  mount(el: HTMLElement, ctx: ViewContext): void {
    this.ctx = ctx;
    replace(
      el,
      h(
        "div",
        { class: "stage no-view" },
        h("div", { class: "panel" }, h("h2", { text: `This page cannot show ${this.game}` }), h("p", { class: "muted", text: "A client that knows this game can play it here." }), this.seats),
      ),
    );
    this.renderSeats();
  }

  snapshot(_s: GameSnapshot): void {}

  event(_name: string, _data: unknown): void {}

  lobby(): void {
    this.renderSeats();
  }

  private renderSeats(): void {
    replace(this.seats, ...[...this.ctx.players.values()].map((p) => h("li", { text: p.spectator ? `${p.name} (watching)` : p.name })));
  }

  unmount(): void {}
}
