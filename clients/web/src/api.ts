// The HTTP side: accounts, tokens and the lobby list.
//
// The access token lives only in this module's memory. The refresh token never reaches
// script at all: the server sets it as an HttpOnly cookie on login, guest and refresh, and
// /api/v1/auth/refresh reads it from there when the body is empty. The refresh_token field of
// the server's answers is deliberately dropped.

import type { GameInfo, Lobby } from "./protocol.ts";

/** ApiError is an error answer of the HTTP API, or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter = 0,
  ) {
    super(message);
  }
}

/** Claims are the parts of an access token the page shows or schedules by. */
export interface Claims {
  sub: string;
  name: string;
  iat: number; // unix seconds
  exp: number; // unix seconds
  scope: string;
}

interface TokenPair {
  access_token: string;
  expires_in: number;
}

/** Session holds the signed-in player's access token and renews it. */
/** Provider is an OpenID Connect provider players may sign in with. */
export interface Provider {
  name: string;
  display_name: string;
}

export class Session {
  private token = "";
  private claims: Claims | null = null;
  private refreshing: Promise<string> | null = null;

  get signedIn(): boolean {
    return this.token !== "";
  }

  get accessToken(): string {
    return this.token;
  }

  get user(): Claims | null {
    return this.claims;
  }

  /** expiresAt is when the access token expires, in ms since the epoch. */
  get expiresAt(): number {
    return this.claims ? this.claims.exp * 1000 : 0;
  }

  /** issuedAt is when the access token was issued, in ms since the epoch. */
  get issuedAt(): number {
    return this.claims ? this.claims.iat * 1000 : 0;
  }

  async register(username: string, password: string): Promise<void> {
    await request("POST", "/api/v1/auth/register", { username, password });
    await this.login(username, password);
  }

  async login(username: string, password: string): Promise<void> {
    this.adopt(await request<TokenPair>("POST", "/api/v1/auth/login", { username, password }));
  }

  /** guest signs in as a new guest account, named after name when one is given. */
  async guest(name = ""): Promise<void> {
    this.adopt(await request<TokenPair>("POST", "/api/v1/auth/guest", name ? { name } : {}));
  }

  /**
   * resume signs in from the refresh cookie, if the browser holds a live one. Script cannot see
   * that cookie, so a flag in localStorage (no token, just "signed in here before") spares a
   * first-time visitor a refresh that can only fail.
   */
  async resume(): Promise<boolean> {
    if (!hint.get()) return false;
    try {
      await this.refresh();
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.status !== 0) {
        hint.set(false);
        return false;
      }
      throw e;
    }
  }

  /**
   * refresh trades the refresh cookie for a new token pair and returns the new access token.
   * Calls made while one is in flight share it. Refresh tokens work once, so tabs of one
   * browser, which share the cookie, take turns through a Web Lock where the browser has them.
   */
  refresh(): Promise<string> {
    if (!this.refreshing) {
      const run = async (): Promise<string> => {
        const pair = await request<TokenPair>("POST", "/api/v1/auth/refresh");
        this.adopt(pair);
        return this.token;
      };
      const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
      const p = locks ? locks.request("tickwire-refresh", run) : run();
      this.refreshing = p.finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  async logout(): Promise<void> {
    const token = this.token;
    this.forget();
    if (token) {
      await request("POST", "/api/v1/auth/logout", {}, token).catch(() => undefined);
    }
  }

  /** forget drops the access token from memory. */
  forget(): void {
    hint.set(false);
    this.token = "";
    this.claims = null;
  }

  /** me describes the signed-in account. */
  me(): Promise<{ id: string; username: string; guest?: boolean; identities?: { provider: string }[] }> {
    return this.authed("GET", "/api/v1/me");
  }

  /** providers lists the server's OpenID Connect providers, for the sign-in buttons. */
  async providers(): Promise<Provider[]> {
    const r = await request<{ providers: Provider[] }>("GET", "/api/v1/auth/providers");
    return r.providers ?? [];
  }

  /**
   * expectCookie marks that a sign-in elsewhere (an OpenID Connect provider's page) will come
   * back with the refresh cookie set, so the next load resumes from it.
   */
  expectCookie(): void {
    hint.set(true);
  }

  /** linkURL asks for the provider URL that links an identity there to this account. */
  async linkURL(provider: string): Promise<string> {
    const r = await this.authed<{ url: string }>("POST", `/api/v1/me/identities/${encodeURIComponent(provider)}`, {});
    return r.url;
  }

  /** unlink removes the account's identity at provider. */
  async unlink(provider: string): Promise<void> {
    await this.authed("DELETE", `/api/v1/me/identities/${encodeURIComponent(provider)}`);
  }

  /** games lists the games the server offers, the default first, with the options create takes. */
  async games(): Promise<GameInfo[]> {
    const r = await this.authed<{ games: GameInfo[] }>("GET", "/api/v1/games");
    return r.games ?? [];
  }

  /** lobbies lists the public lobbies. */
  async lobbies(): Promise<Lobby[]> {
    const r = await this.authed<{ lobbies: Lobby[] }>("GET", "/api/v1/lobbies");
    return r.lobbies ?? [];
  }

  /** authed makes an authorized request, renewing an expired access token once. */
  private async authed<T>(method: string, path: string, body?: unknown): Promise<T> {
    if (this.expiresAt - Date.now() < 2000) await this.refresh();
    try {
      return await request<T>(method, path, body, this.token);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        await this.refresh();
        return request<T>(method, path, body, this.token);
      }
      throw e;
    }
  }

  private adopt(pair: TokenPair): void {
    const claims = parseClaims(pair.access_token);
    if (!claims) throw new ApiError(0, "invalid_token", "the server sent a token this page cannot read");
    this.token = pair.access_token;
    this.claims = claims;
    hint.set(true);
  }
}

// hint remembers whether this browser holds a session cookie; storage may be unavailable
// (private modes), in which case the page simply always tries.
const hint = {
  key: "tickwire.signedIn",
  get(): boolean {
    try {
      return localStorage.getItem(this.key) === "1";
    } catch {
      return true;
    }
  },
  set(on: boolean): void {
    try {
      localStorage.setItem(this.key, on ? "1" : "0");
    } catch {
      // Nothing to remember then.
    }
  },
};

/** parseClaims reads a JWT's payload. The server verifies tokens; the page only reads them. */
export function parseClaims(jwt: string): Claims | null {
  const part = jwt.split(".")[1];
  if (!part) return null;
  try {
    const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
    const json = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
    const c = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (ch) => ch.charCodeAt(0))));
    if (typeof c.sub !== "string" || typeof c.exp !== "number") return null;
    return { sub: c.sub, name: String(c.name ?? ""), iat: Number(c.iat) || 0, exp: c.exp, scope: String(c.scope ?? "") };
  } catch {
    return null;
  }
}

async function request<T = unknown>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? null : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "network", "The server cannot be reached. Check your connection.");
  }
  if (res.status === 204) return undefined as T;
  let data: unknown = null;
  try {
    data = await res.json();
  } catch {
    // An answer without a JSON body (a proxy's error page, say) gets the generic text below.
  }
  if (!res.ok) {
    const e = (data ?? {}) as { error?: string; message?: string };
    const retry = Number(res.headers.get("Retry-After")) || 0;
    throw new ApiError(res.status, e.error ?? "http_" + res.status, e.message ?? `The server answered ${res.status}.`, retry);
  }
  return data as T;
}
