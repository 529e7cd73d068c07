// The game screen: what every game shares around its view (the lobby's name and join code, its
// phase, leaving, the connection's readouts), the lobby's seats and state kept from its events,
// and the frames of the lobby handed to the view its game names (src/games/).

import type { Connection } from "../connection.ts";
import type { Frame } from "../codec.ts";
import { busy, h, replace } from "../dom.ts";
import { viewFor } from "../games/index.ts";
import type { GameSnapshot, GameView, ViewContext } from "../games/view.ts";
import { EventKind, type Joined, type LobbyEvent, type LobbyInfo, type LobbyState, type PlayerInfo } from "../protocol.ts";

export interface GameCallbacks {
  /** onExit leaves the screen: the player left, was kicked, or the lobby closed. */
  onExit(message?: string): void;
}

const phaseText: Record<LobbyState, string> = { waiting: "Waiting to start", running: "Round in progress", finished: "Round over", closed: "Closed" };

export class GameScreen {
  readonly el: HTMLElement;
  readonly lobbyID: string;
  private lobby: LobbyInfo;
  private me: number;
  private names = new Map<number, PlayerInfo>();
  private readonly view: GameView;
  private seq = 0;
  // The socket (by its welcome count) on which this page holds its seat: inputs go only there,
  // not onto a fresh socket before the seat has been taken back.
  private seatedOn: number;
  // When recent snapshots arrived and their ticks, for the tick rate readout.
  private arrivals: [number, number][] = [];
  private readonly stats: ReturnType<typeof setInterval>;

  private readonly phase = h("div", { class: "hud-phase", id: "round-phase" });
  private readonly hud = h("div", { class: "hud-game" });
  private readonly help = h("div", { class: "hud-help" });
  private readonly net = h("div", { class: "hud-net", id: "net-stats" });
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
    this.names = new Map(joined.lobby.players.map((p) => [p.id, p]));

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
    const body = h("div", { class: "game-body", dataset: { game: joined.lobby.game } });
    this.el = h(
      "section",
      { class: "screen game" },
      h(
        "header",
        { class: "hud-top" },
        h("div", { class: "hud-left" }, h("div", { class: "hud-lobby", text: this.lobby.name }), this.codeBox),
        h("div", { class: "hud-mid" }, this.hud, this.phase),
        h("div", { class: "hud-right" }, leave),
      ),
      body,
      h("footer", { class: "hud-bottom" }, this.net, this.help),
    );
    this.renderCode();
    this.renderPhase();
    this.view = viewFor(joined.lobby.game);
    this.view.mount(body, this.context());
    this.renderStats();
    this.stats = setInterval(() => this.renderStats(), 250);
  }

  // context is the view's window on the screen; its getters read the screen's current state.
  private context(): ViewContext {
    const s = this;
    return {
      get lobby() {
        return s.lobby;
      },
      get me() {
        return s.me;
      },
      get spectator() {
        return s.names.get(s.me)?.spectator === true;
      },
      get players() {
        return s.names;
      },
      get state() {
        return s.lobby.state;
      },
      get isHost() {
        return s.names.get(s.me)?.host === true;
      },
      get rtt() {
        return s.conn.rtt;
      },
      sendInput: (fields) => this.sendInput(fields),
      request: async (type, data) => (await this.conn.request(type, data ?? {})).d,
      hud: this.hud,
      help: this.help,
    };
  }

  private sendInput(fields: Record<string, unknown>): number {
    if (!this.conn.isOpen || this.conn.welcomes !== this.seatedOn || this.lobby.state === "closed") return 0;
    const seq = (this.seq + 1) >>> 0 || 1;
    if (!this.conn.send("input", { ...fields, seq })) return 0;
    this.seq = seq;
    return seq;
  }

  /** onFrame takes the frames of this lobby. */
  onFrame(f: Frame): void {
    switch (f.t) {
      case "snapshot":
        if (isGameSnapshot(f.d)) {
          this.arrivals.push([performance.now(), f.d.tick]);
          while (this.arrivals.length > 0 && performance.now() - this.arrivals[0]![0] > 3000) this.arrivals.shift();
          this.view.snapshot(f.d);
        }
        return;
      case "event": {
        // A game's own events (kind game) are its view's; the lobby's are the screen's first.
        const e = f.d as LobbyEvent;
        if (e.kind === EventKind.Game) this.view.event(e.name ?? "", e.data);
        else this.onEvent(e);
        return;
      }
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
    this.names = new Map(j.lobby.players.map((p) => [p.id, p]));
    this.renderPhase();
    this.view.lobby?.({ kind: "rejoined" });
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
          if (e.player.id === this.me) {
            this.cb.onExit("You left the lobby.");
            return;
          }
          this.inferHost();
        }
        break;
      case "host_changed":
        if (e.player) {
          for (const [id, p] of this.names) if (p.host) this.names.set(id, { ...p, host: false });
          this.names.set(e.player.id, { ...e.player, host: true });
        }
        break;
      case "state":
        if (e.state) {
          this.lobby = { ...this.lobby, state: e.state };
          this.renderPhase();
        }
        break;
      case "kicked":
        this.cb.onExit(e.reason === "kicked by the host" ? "The host removed you from the lobby." : `You left the lobby: ${e.reason ?? "removed"}.`);
        return;
      case "lobby_closed":
        this.cb.onExit("The lobby has closed.");
        return;
    }
    this.view.lobby?.(e);
  }

  // inferHost follows the engine's rule when the host leaves, which no event announces: the
  // earliest-seated connected player becomes host.
  private inferHost(): void {
    const seats = [...this.names.values()];
    if (seats.some((p) => p.host)) return;
    const next = seats.filter((p) => !p.spectator && p.connected).sort((a, b) => a.id - b.id)[0];
    if (next) this.names.set(next.id, { ...next, host: true });
  }

  private renderPhase(): void {
    this.phase.textContent = phaseText[this.lobby.state];
  }

  private renderStats(): void {
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

  dispose(): void {
    clearInterval(this.stats);
    this.view.unmount();
  }
}

/** isGameSnapshot checks what every snapshot has, tick and ack; the rest is the view's to check. */
function isGameSnapshot(d: unknown): d is GameSnapshot {
  if (d === null || typeof d !== "object") return false;
  const s = d as Record<string, unknown>;
  return typeof s.tick === "number" && typeof s.ack === "number";
}

function stat(label: string, value: string, id: string, mood: string): HTMLElement {
  return h("span", { class: `stat ${mood}`, dataset: { stat: id } }, h("span", { class: "stat-label", text: label }), h("span", { class: "stat-value", text: value }));
}
