// The page: which screen shows, and the one connection behind them.

import "./app.css";
import { ApiError, Session } from "./api.ts";
import { Connection, LobbyGone, ServerError, type Status } from "./connection.ts";
import type { Frame } from "./codec.ts";
import { busy, h, replace } from "./dom.ts";
import { GameScreen } from "./ui/game.ts";
import type { Joined, Welcome } from "./protocol.ts";
import { LobbiesView } from "./ui/lobbies.ts";
import { authErrorText, signInScreen } from "./ui/signin.ts";

class App {
  private readonly session = new Session();
  private conn: Connection | null = null;
  private lobbies: LobbiesView | null = null;
  private game: GameScreen | null = null;
  private username = "";
  private guest = false;
  // A join code from an invite link (#join=CODE), used once signed in.
  private inviteCode = "";
  // A placement after a reconnect is under way: the welcomes of the sockets it opens (a move)
  // start no other.
  private placing = false;
  // conn.fellBack when the game screen opened: a fallback since means the lobby's node died.
  private fellBackAtJoin = 0;
  private readonly main: HTMLElement;
  private readonly banner: HTMLElement;
  private readonly userBox: HTMLElement;
  private readonly toasts = new Set<string>();
  // What a provider sign-in or link that just came back said (#auth_error=, #linked=).
  private authNotice: { error?: string; linked?: string } = {};

  constructor(root: HTMLElement) {
    this.banner = h("div", { class: "banner hidden", id: "conn-banner", role: "status", ariaLive: "polite" });
    this.userBox = h("div", { class: "userbox" });
    this.main = h("main", { class: "main" });
    replace(
      root,
      h("header", { class: "topbar" }, h("div", { class: "brand small" }, h("span", { class: "logo" }), h("span", { text: "Tickwire" })), this.userBox),
      this.banner,
      this.main,
    );
    this.inviteCode = takeInvite();
    this.authNotice = takeAuthResult();
    window.addEventListener("online", () => this.conn?.reconnectNow());
    // An invite link opened in a tab that already shows the page.
    window.addEventListener("hashchange", () => {
      const code = takeInvite();
      if (!code) return;
      if (!this.conn?.isOpen) this.inviteCode = code;
      else if (this.game) this.flash(`Leave this lobby first to join ${code}.`);
      else this.join({ code }).catch((e) => this.showLobbies(`Could not join ${code}: ${(e as Error).message}`));
    });
  }

  async boot(): Promise<void> {
    replace(this.main, h("div", { class: "loading", text: "Loading…" }));
    let resumed = false;
    try {
      resumed = await this.session.resume();
    } catch {
      // The server is unreachable: the sign-in screen says so when the player tries.
    }
    const n = this.authNotice;
    this.authNotice = {};
    if (resumed) {
      this.play();
      if (n.linked) this.flash(`Linked: you can now sign in with ${n.linked} too.`);
      else if (n.error) this.flash(authErrorText(n.error));
    } else if (n.error) this.showSignIn(authErrorText(n.error), "error");
    else this.showSignIn(this.inviteCode ? `Sign in or play as a guest to join lobby ${this.inviteCode}.` : undefined);
  }

  private showSignIn(notice?: string, kind: "info" | "error" = "info"): void {
    this.clearScreens();
    document.body.dataset.screen = "signin";
    replace(this.userBox);
    replace(
      this.main,
      signInScreen(this.session, {
        ...(notice ? { notice, noticeKind: kind } : {}),
        onSignedIn: () => this.play(),
      }),
    );
  }

  // play opens the socket and shows the lobbies.
  private play(): void {
    this.username = this.session.user?.name ?? "";
    this.guest = false;
    this.renderUser();
    this.session.me().then(
      (m) => {
        if (m.guest && this.conn) {
          this.guest = true;
          this.renderUser();
        }
      },
      () => undefined, // only a label; the socket reports real trouble
    );
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.conn = new Connection(this.session, `${scheme}//${location.host}/ws`, {
      onWelcome: (w, reconnected) => this.onWelcome(w, reconnected),
      onFrame: (f) => this.onFrame(f),
      onStatus: (s) => this.onStatus(s),
      onEnded: (msg) => {
        this.conn = null;
        this.session.forget();
        this.showSignIn(msg, "error");
      },
    });
    this.conn.start();
    this.showLobbies();
  }

  private renderUser(): void {
    const out = h("button", { class: "btn ghost small", id: "sign-out", type: "button", text: "Sign out" });
    if (this.guest) out.title = "A guest account cannot sign in again once it signs out.";
    out.addEventListener("click", () => void this.signOut());
    const account = h("button", { class: "btn ghost small", id: "account", type: "button", text: "Account" });
    account.addEventListener("click", () => void this.toggleAccount());
    replace(
      this.userBox,
      h("span", { class: "who", id: "who", text: this.username }),
      this.guest ? h("span", { class: "tag", text: "guest" }) : null,
      account,
      out,
    );
  }

  // toggleAccount shows or hides the account panel: the sign-in providers, linked or not.
  private async toggleAccount(): Promise<void> {
    const open = document.getElementById("account-panel");
    if (open) {
      open.remove();
      return;
    }
    const panel = h("div", { class: "card account-panel", id: "account-panel", role: "dialog", ariaLabel: "Account" });
    this.userBox.append(panel);
    const msg = h("p", { class: "form-error", role: "alert" });
    try {
      const [me, providers] = await Promise.all([this.session.me(), this.session.providers()]);
      const linked = new Set((me.identities ?? []).map((i) => i.provider));
      const rows = providers.map((p) => {
        const has = linked.has(p.name);
        const btn = h("button", { class: "btn secondary small", type: "button", text: has ? "Unlink" : "Link", dataset: { provider: p.name } });
        btn.addEventListener("click", () =>
          void busy(btn, async () => {
            msg.textContent = "";
            try {
              if (has) {
                await this.session.unlink(p.name);
                panel.remove();
                void this.toggleAccount();
              } else {
                location.assign(await this.session.linkURL(p.name));
              }
            } catch (e) {
              const code = e instanceof ApiError ? e.code : "";
              msg.textContent = code === "last_login_method" ? "This is your only way to sign in; keep it, or link another first." : (e as Error).message;
            }
          }),
        );
        return h("li", {}, h("span", { text: `${p.display_name}${has ? " (linked)" : ""}` }), btn);
      });
      replace(
        panel,
        h("h2", { text: "Sign-in methods" }),
        rows.length ? h("ul", { class: "identities" }, ...rows) : h("p", { text: "This server has no sign-in providers." }),
        msg,
      );
    } catch (e) {
      replace(panel, h("p", { text: `Could not load the account: ${(e as Error).message}` }));
    }
  }

  private async signOut(): Promise<void> {
    this.conn?.stop();
    this.conn = null;
    await this.session.logout();
    this.showSignIn("You have signed out.");
  }

  private onWelcome(w: Welcome, reconnected: boolean): void {
    if (w.account.username !== this.username) {
      this.username = w.account.username;
      this.renderUser();
    }
    if (reconnected && this.game && this.conn) {
      if (!this.placing) void this.place(this.conn, this.game.lobbyID);
      return;
    }
    if (!reconnected && this.inviteCode) {
      const code = this.inviteCode;
      this.inviteCode = "";
      this.join({ code }).catch((e) => this.showLobbies(`Could not join ${code}: ${(e as Error).message}`));
    }
  }

  // place puts the player back after a reconnect: the same seat (the engine keeps it for a
  // while after a drop), or, the lobby being gone, a fresh quick join for one who quick-joined;
  // anyone else goes back to the lobby browser, told why.
  private async place(conn: Connection, id: string): Promise<void> {
    this.placing = true;
    try {
      if ((await conn.place(id)) === "placed") this.flash("Your lobby was gone; you are in a new one.");
    } catch (e) {
      // A socket lost meanwhile: its next welcome places again.
      if (e instanceof ServerError && (e.code === "connection_lost" || e.code === "not_connected")) return;
      if (this.game?.lobbyID !== id) return;
      if (!(e instanceof LobbyGone)) this.leaveGame((e as Error).message);
      else if (conn.fellBack > this.fellBackAtJoin) this.leaveGame("The server hosting your lobby went away, and the lobby with it. Pick another lobby.");
      else this.leaveGame("The lobby closed while you were away.");
    } finally {
      this.placing = false;
    }
  }

  private onFrame(f: Frame): void {
    if (f.t === "joined") {
      const j = f.d as Joined;
      if (this.game && this.game.lobbyID === j.lobby.id) this.game.onFrame(f);
      else this.showGame(j);
      return;
    }
    if (f.t === "error" && f.id === undefined) {
      this.flash((f.d as { message?: string }).message ?? "The server reported a problem.");
      return;
    }
    this.game?.onFrame(f);
  }

  private onStatus(s: Status): void {
    const b = this.banner;
    switch (s.kind) {
      case "open":
        b.classList.add("hidden");
        return;
      case "connecting":
        b.textContent = "Connecting…";
        break;
      case "reconnecting":
        b.textContent =
          s.inMs > 0 ? `Connection lost: ${s.reason}. Reconnecting in ${Math.ceil(s.inMs / 1000)} s…` : s.reason ? `Reconnecting: ${s.reason}…` : "Reconnecting…";
        break;
    }
    b.classList.remove("hidden");
  }

  // flash shows a passing message; the same one is not stacked again while it shows.
  private flash(msg: string): void {
    if (this.toasts.has(msg)) return;
    this.toasts.add(msg);
    const t = h("div", { class: "toast", role: "alert", text: msg });
    document.body.appendChild(t);
    setTimeout(() => {
      t.remove();
      this.toasts.delete(msg);
    }, 4000);
  }

  private async join(d: Record<string, unknown>): Promise<void> {
    if (!this.conn) throw new Error("Not connected.");
    await this.conn.join(d);
  }

  private showLobbies(notice?: string): void {
    this.clearScreens();
    document.body.dataset.screen = "lobbies";
    const conn = () => {
      if (!this.conn) throw new Error("Not connected.");
      return this.conn;
    };
    this.lobbies = new LobbiesView(
      this.session,
      {
        quick: async (game) => void (await conn().join({ quick: true, ...(game ? { game } : {}) })),
        create: async (r) =>
          void (await conn().request("create", {
            ...(r.name ? { name: r.name } : {}),
            private: r.private,
            max_players: r.maxPlayers,
            ...(r.game ? { game: r.game } : {}),
            ...(r.options ? { options: r.options } : {}),
          })),
        joinCode: (code) => this.join({ code }),
        joinID: (lobby) => this.join({ lobby }),
      },
      notice,
    );
    replace(this.main, this.lobbies.el);
  }

  private showGame(j: Joined): void {
    if (!this.conn) return;
    this.clearScreens();
    document.title = `${j.lobby.name} · Tickwire`;
    document.body.dataset.screen = "game";
    this.fellBackAtJoin = this.conn.fellBack;
    this.game = new GameScreen(this.conn, j, { onExit: (msg) => this.leaveGame(msg) });
    replace(this.main, this.game.el);
  }

  private leaveGame(message?: string): void {
    this.showLobbies(message);
  }

  private clearScreens(): void {
    document.title = "Tickwire";
    this.lobbies?.dispose();
    this.lobbies = null;
    this.game?.dispose();
    this.game = null;
  }
}

// takeInvite reads a join code from an invite link (#join=CODE) and clears it from the address.
function takeInvite(): string {
  const m = /^#join=([A-Za-z0-9]{1,16})$/.exec(location.hash);
  if (!m) return "";
  history.replaceState(null, "", location.pathname + location.search);
  return m[1]!.toUpperCase();
}

// takeAuthResult reads what a provider sign-in or link came back with (#auth_error=CODE,
// #linked=NAME) and clears it from the address.
function takeAuthResult(): { error?: string; linked?: string } {
  const m = /^#(auth_error|linked)=([a-z0-9_-]{1,40})$/.exec(location.hash);
  if (!m) return {};
  history.replaceState(null, "", location.pathname + location.search);
  return m[1] === "auth_error" ? { error: m[2]! } : { linked: m[2]! };
}

const root = document.getElementById("app");
if (root) void new App(root).boot();
