// What the page does when the connection goes wrong, in headless Chromium against the real
// binary: a lost network (a proxy cuts every connection) and an expired token (refresh blocked
// until the server closes 4001) both end in a new socket and the same seat in the same lobby;
// a revoked session (4003) ends on the sign-in screen with a message and no reconnect.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import type { Browser } from "playwright-core";

import { bannerLog, guest, launchChromium, newPlayer, Proxy, startServer, until, type Player, type TickwireServer } from "./harness.ts";

let server: TickwireServer | undefined;
let proxy: Proxy | undefined;
let browser: Browser | undefined;

before(async () => {
  server = await startServer("--access-ttl", "5s");
  proxy = new Proxy();
  await proxy.start(server.port);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await proxy?.stop();
  await server?.stop();
});

async function sameSeat(p: Player, other: Player, me: number, lobby: string, sockets: number): Promise<void> {
  await until(`a socket number ${sockets} and the seat back`, 15000, () => p.watch.sockets === sockets && p.watch.joined >= sockets).catch(async (e) => {
    throw new Error(`${(e as Error).message}: ${p.watch.sockets} sockets, ${p.watch.joined} joined; banner: ${(await bannerLog(p.page)).join(" | ")}`);
  });
  assert.equal(p.watch.me, me, "the seat changed");
  assert.equal(p.watch.lobby, lobby, "the lobby changed");
  await until("the banner to go", 5000, async () => (await p.page.locator("#conn-banner.hidden").count()) === 1);
  await until("the other player to see one seat per player, both connected", 5000, async () => {
    const rows = other.page.locator("#scoreboard .score-row");
    return (await rows.count()) === 2 && (await other.page.locator("#scoreboard .score-row.away").count()) === 0;
  });
}

test("the page reconnects into its seat, and gives up only when the session ends", { timeout: 90_000 }, async () => {
  // Erin plays through the proxy, whose network can fail; Finn connects directly.
  const erin = await newPlayer(browser!, proxy!.url);
  await guest(erin, "erin");
  await erin.page.click("#create-lobby");
  const code = (await erin.page.textContent("#join-code-value", { timeout: 10000 }))!.trim();
  const finn = await newPlayer(browser!, server!.url);
  await guest(finn, "finn");
  await finn.page.fill("#join-code", code);
  await finn.page.click("#join-code-btn");
  await until("both seated", 10000, () => erin.watch.latest?.players.length === 2);
  const me = erin.watch.me;
  const lobby = erin.watch.lobby;

  // The network drops: the page says so and comes back into the same seat.
  proxy!.cut();
  await sameSeat(erin, finn, me, lobby, 2);
  assert.ok((await bannerLog(erin.page)).some((t) => /connection dropped|Reconnecting/.test(t)), "no word of the drop");

  // The token runs out: with refresh blocked, reauth fails and the server closes 4001; once
  // refresh works again the page renews its token, reconnects and takes its seat back.
  await erin.page.route("**/api/v1/auth/refresh", (r) => r.abort("internetdisconnected"));
  await until("the server to close the socket for the expired token", 15000, async () =>
    (await bannerLog(erin.page)).some((t) => /token expired/.test(t)),
  );
  await erin.page.unroute("**/api/v1/auth/refresh");
  await sameSeat(erin, finn, me, lobby, 3);

  // The session is revoked (a logout elsewhere): 4003 takes the page to sign-in, for good.
  const before = erin.watch.tokensSent;
  await until("a fresh token in a reauth", 10000, () => erin.watch.tokensSent > before);
  const res = await fetch(`${server!.url}/api/v1/auth/logout`, {
    method: "POST",
    headers: { Authorization: `Bearer ${erin.watch.lastToken}`, "Content-Type": "application/json" },
    body: "{}",
  });
  assert.equal(res.status, 204);
  await erin.page.waitForSelector("#username", { timeout: 5000 });
  const notice = await erin.page.textContent(".notice.error");
  assert.match(notice ?? "", /session has ended/i);
  const sockets = erin.watch.sockets;
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(erin.watch.sockets, sockets, "the page reconnected after its session was revoked");
  await until("Finn to see Erin away", 5000, async () => (await finn.page.locator("#scoreboard .score-row.away").count()) === 1);
  assert.deepEqual(erin.watch.problems.filter((p) => !/Failed to load resource|ERR_INTERNET_DISCONNECTED/.test(p)), [], "Erin's console");
  assert.deepEqual(finn.watch.problems, [], "Finn's console");
});
