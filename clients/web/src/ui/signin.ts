// The sign-in screen: sign in, register, or play as a guest.

import { ApiError, type Session } from "../api.ts";
import { busy, h, replace } from "../dom.ts";

export interface SignInOptions {
  /** notice is shown above the form: why the player is here again, or where they are going. */
  notice?: string;
  noticeKind?: "info" | "error";
  onSignedIn(): void;
}

/** signInScreen builds the screen. */
export function signInScreen(session: Session, opts: SignInOptions): HTMLElement {
  let mode: "signin" | "register" = "signin";
  const err = h("p", { class: "form-error", role: "alert", ariaLive: "polite" });
  const user = h("input", {
    id: "username",
    name: "username",
    autocomplete: "username",
    placeholder: "Username",
    required: true,
    minLength: 3,
    maxLength: 32,
    pattern: "[A-Za-z0-9_\\-]{3,32}",
  });
  const pass = h("input", {
    id: "password",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    placeholder: "Password",
    required: true,
    minLength: 8,
    maxLength: 128,
  });
  const submit = h("button", { class: "btn primary wide", type: "submit", text: "Sign in" });
  const hint = h("p", { class: "hint", text: "" });
  const tabSignIn = h("button", { class: "tab active", type: "button", text: "Sign in" });
  const tabRegister = h("button", { class: "tab", type: "button", text: "Register" });
  const setMode = (m: typeof mode) => {
    mode = m;
    tabSignIn.classList.toggle("active", m === "signin");
    tabRegister.classList.toggle("active", m === "register");
    submit.textContent = m === "signin" ? "Sign in" : "Create account";
    pass.autocomplete = m === "signin" ? "current-password" : "new-password";
    hint.textContent = m === "register" ? "3–32 letters, digits, _ or -; a password of at least 8 characters." : "";
    err.textContent = "";
  };
  tabSignIn.addEventListener("click", () => setMode("signin"));
  tabRegister.addEventListener("click", () => setMode("register"));

  const form = h(
    "form",
    {
      class: "stack",
      onsubmit: (e) => {
        e.preventDefault();
        err.textContent = "";
        void busy(submit, async () => {
          try {
            if (mode === "register") await session.register(user.value.trim(), pass.value);
            else await session.login(user.value.trim(), pass.value);
            opts.onSignedIn();
          } catch (e) {
            err.textContent = describe(e, mode);
          }
        });
      },
    },
    h("label", { class: "sr-only", for: "username", text: "Username" }),
    user,
    h("label", { class: "sr-only", for: "password", text: "Password" }),
    pass,
    hint,
    submit,
  );

  const nick = h("input", {
    id: "guest-name",
    name: "guest-name",
    autocomplete: "nickname",
    placeholder: "Nickname (optional)",
    maxLength: 24,
    pattern: "[A-Za-z0-9_\\-]{0,24}",
  });
  const guestBtn = h("button", { class: "btn secondary wide", type: "submit", text: "Play as guest" });
  const guest = h(
    "form",
    {
      class: "stack",
      onsubmit: (e) => {
        e.preventDefault();
        err.textContent = "";
        void busy(guestBtn, async () => {
          try {
            await session.guest(nick.value.trim());
            opts.onSignedIn();
          } catch (e) {
            err.textContent = describe(e, "guest");
          }
        });
      },
    },
    h("label", { class: "sr-only", for: "guest-name", text: "Nickname" }),
    nick,
    guestBtn,
  );

  // One button per OpenID Connect provider, once the server has said which there are.
  const providers = h("div", { class: "stack providers", id: "providers" });
  session.providers().then(
    (ps) => {
      if (ps.length === 0) return;
      const back = location.pathname + location.search;
      replace(
        providers,
        h("div", { class: "divider" }, h("span", { text: "or use an account you have" })),
        ...ps.map((p) => {
          const a = h("a", {
            class: "btn secondary wide provider",
            href: `/api/v1/auth/oidc/${encodeURIComponent(p.name)}/start?return_to=${encodeURIComponent(back)}`,
            text: `Sign in with ${p.display_name}`,
          });
          a.addEventListener("click", () => session.expectCookie());
          return a;
        }),
      );
    },
    () => undefined, // no buttons then; the other ways in still work
  );

  return h(
    "section",
    { class: "screen signin" },
    h(
      "div",
      { class: "card auth-card" },
      h("div", { class: "brand" }, h("span", { class: "logo", ariaLabel: "" }), h("h1", { text: "Tickwire" })),
      h("p", { class: "tagline", text: "Grab the coins before the clock runs out. Bring friends." }),
      opts.notice ? h("p", { class: `notice ${opts.noticeKind ?? "info"}`, role: "status", text: opts.notice }) : null,
      h("div", { class: "tabs", role: "tablist" }, tabSignIn, tabRegister),
      form,
      err,
      providers,
      h("div", { class: "divider" }, h("span", { text: "or jump straight in" })),
      guest,
    ),
  );
}

/** authErrorText is what a person reads for the code of a failed provider sign-in. */
export function authErrorText(code: string): string {
  switch (code) {
    case "oidc_state":
      return "That sign-in took too long or was started in another browser. Please try again.";
    case "oidc_denied":
      return "The sign-in was cancelled at the provider.";
    case "oidc_failed":
      return "The provider's answer could not be verified. Please try again.";
    case "identity_taken":
      return "That account at the provider is already linked to another Tickwire account.";
    case "account_disabled":
      return "This account is disabled.";
    case "registration_closed":
      return "This server takes no new accounts; ask its admin for an invite.";
    case "provider_unavailable":
      return "The sign-in provider cannot be reached right now. Try again shortly.";
    case "rate_limited":
      return "Too many sign-in attempts. Wait a minute and try again.";
  }
  return "Signing in with the provider failed. Please try again.";
}

function describe(e: unknown, mode: string): string {
  if (!(e instanceof ApiError)) return "Something went wrong. Please try again.";
  switch (e.code) {
    case "invalid_credentials":
      return "That username and password do not match.";
    case "username_taken":
      return "That username is taken. Pick another, or sign in.";
    case "rate_limited":
      return `Too many attempts. Try again in ${e.retryAfter || 30} seconds.`;
    case "account_disabled":
      return "This account is disabled.";
    case "invalid_request":
      return mode === "guest" ? "Nicknames are up to 24 letters, digits, _ or -." : e.message;
  }
  return e.message;
}
