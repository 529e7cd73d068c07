// Sign in with OpenID Connect in headless Chromium: the test provider (a real OpenID provider,
// auth/oidc/oidctest) runs as its own process; the player clicks "Sign in with Test ID", fills
// the provider's form and lands back on the page signed in, then quick-plays into a lobby. A
// cancelled sign-in shows the player why they are back on the sign-in screen.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import type { Browser } from "playwright-core";

import { launchChromium, newPlayer, outDir, startServer, webDir, type TickwireServer } from "./harness.ts";

const providerBin = join(webDir, ".build", "oidcprovider");

let provider: ChildProcess | undefined;
let server: TickwireServer | undefined;
let browser: Browser | undefined;

function startProvider(): Promise<string> {
  assert.ok(existsSync(providerBin), `${providerBin} is missing: make webtest builds it`);
  return new Promise((ok, fail) => {
    const p = spawn(providerBin, ["-redirect", "http://127.0.0.1:*/api/v1/auth/oidc/test/callback", "-user", "alice:password1"], { stdio: ["ignore", "pipe", "pipe"] });
    provider = p;
    let out = "";
    const timer = setTimeout(() => fail(new Error(`the provider did not start in 15 s: ${out}`)), 15000);
    p.stdout!.on("data", (b: Buffer) => {
      out += b.toString();
      const m = /^(http:\/\/\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m[1]!);
      }
    });
    p.stderr!.on("data", (b: Buffer) => (out += b.toString()));
    p.once("exit", (code) => fail(new Error(`the provider exited with ${code}: ${out}`)));
  });
}

before(async () => {
  const issuer = await startProvider();
  const cfg = join(mkdtempSync(join(tmpdir(), "tickwire-oidc-")), "tickwire.toml");
  writeFileSync(cfg, `[[oidc]]\nname = "test"\ndisplay_name = "Test ID"\nissuer = "${issuer}"\nclient_id = "tickwire"\nclient_secret = "test-secret"\n`);
  server = await startServer("--config", cfg);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  provider?.kill();
});

test("a player signs in with an OpenID provider by clicking and lands in a lobby", { timeout: 60_000 }, async () => {
  const p = await newPlayer(browser!, server!.url);
  const button = p.page.getByRole("link", { name: "Sign in with Test ID" });
  await button.waitFor();
  const clicked = Date.now();
  await button.click();
  await p.page.waitForSelector("#submit");
  const atProvider = Date.now();
  await p.page.fill("#username", "alice");
  await p.page.fill("#password", "password1");
  const submitted = Date.now();
  await p.page.click("#submit");
  await p.page.waitForSelector("#quick-play");
  const inLobbies = Date.now();
  assert.equal(await p.page.textContent("#who"), "alice");
  assert.equal(new URL(p.page.url()).hash, "", "no fragment or token left in the address");
  await p.page.click("#quick-play");
  await p.page.waitForFunction(() => document.body.dataset.screen === "game", undefined, { timeout: 10000 });
  const inGame = Date.now();
  console.log(`click to the provider's form ${atProvider - clicked} ms; form sent to the lobby list ${inLobbies - submitted} ms; click to the lobby list, form filling included ${inLobbies - clicked} ms; to a lobby ${inGame - clicked} ms`);
  mkdirSync(outDir, { recursive: true });
  await p.page.screenshot({ path: join(outDir, "oidc-signed-in.png") });

  // The account panel shows the linked provider.
  await p.page.click("#account");
  await p.page.waitForSelector("#account-panel li");
  assert.match((await p.page.textContent("#account-panel"))!, /Test ID \(linked\)/);
  await p.ctx.close();
});

test("a cancelled provider sign-in says so on the sign-in screen", { timeout: 60_000 }, async () => {
  const p = await newPlayer(browser!, server!.url);
  await p.page.getByRole("link", { name: "Sign in with Test ID" }).click();
  await p.page.waitForSelector("#deny");
  await p.page.click("#deny");
  await p.page.waitForSelector(".notice.error");
  assert.match((await p.page.textContent(".notice.error"))!, /cancelled/);
  assert.equal(new URL(p.page.url()).hash, "");
  await p.ctx.close();
});
