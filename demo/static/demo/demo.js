// Rotor's try-it demo (demo/): a single-page app, no framework. It signs in with the code flow and
// PKCE, and makes every token call itself with fetch, as a browser app does. What it holds lives in
// sessionStorage, so a reload keeps it and closing the tab forgets it.
"use strict";

(function () {
  const root = document.getElementById("demo");
  if (!root) return;
  const cfg = root.dataset;
  const STATE_KEY = "rotor-demo";
  const LOGIN_KEY = "rotor-demo-login";
  const leeway = Number(cfg.leeway);
  const $ = (id) => document.getElementById(id);
  let state = load();
  let graceTimer = null;

  function load() {
    try {
      return JSON.parse(sessionStorage.getItem(STATE_KEY)) || null;
    } catch (e) {
      return null;
    }
  }

  function save() {
    if (state) sessionStorage.setItem(STATE_KEY, JSON.stringify(state));
    else sessionStorage.removeItem(STATE_KEY);
  }

  function base64url(bytes) {
    let text = "";
    bytes.forEach((b) => (text += String.fromCharCode(b)));
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function randomString(size) {
    const bytes = new Uint8Array(size);
    crypto.getRandomValues(bytes);
    return base64url(bytes);
  }

  async function s256(verifier) {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
    return base64url(new Uint8Array(digest));
  }

  function decodeSegment(segment) {
    const b64 = segment.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  }

  function decodeJwt(token) {
    const [header, claims] = token.split(".");
    return { header: decodeSegment(header), claims: decodeSegment(claims) };
  }

  // An access token's jti is AT.<random>.<family id>; no family without offline_access.
  function familyOf(accessToken) {
    const parts = String(decodeJwt(accessToken).claims.jti || "").split(".");
    return parts.length === 3 ? parts[2] : null;
  }

  function short(token) {
    return token && token.length > 20 ? `${token.slice(0, 8)}…${token.slice(-6)}` : token || "";
  }

  function problem(text) {
    $("problem").textContent = text;
    $("problem").hidden = !text;
  }

  function log(text, kind) {
    state.log.push({ text, kind: kind || "info", at: new Date().toLocaleTimeString() });
    save();
  }

  async function tokenRequest(params) {
    const response = await fetch(`${cfg.server}/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: new URLSearchParams(params),
      credentials: "omit", // a SPA's token calls carry no cookies; CORS allows the app's trusted origin
    });
    let body = {};
    try {
      body = await response.json();
    } catch (e) {
      body = { error: `HTTP ${response.status}` };
    }
    return { ok: response.ok, status: response.status, body };
  }

  function refreshWith(refreshToken) {
    return tokenRequest({ grant_type: "refresh_token", client_id: cfg.clientId, refresh_token: refreshToken });
  }

  // 1. Sign in: PKCE verifier, state and nonce stay in this tab; the authorize request carries the challenge.
  async function signIn() {
    const login = { verifier: randomString(32), state: randomString(16), nonce: randomString(16) };
    sessionStorage.setItem(LOGIN_KEY, JSON.stringify(login));
    const query = new URLSearchParams({
      client_id: cfg.clientId,
      response_type: "code",
      redirect_uri: cfg.redirectUri,
      scope: cfg.scope,
      state: login.state,
      nonce: login.nonce,
      code_challenge: await s256(login.verifier),
      code_challenge_method: "S256",
    });
    window.location.assign(`${cfg.server}/authorize?${query}`);
  }

  // Back at the redirect URI: check state, exchange the code with the verifier, check the nonce.
  async function finishSignIn(params) {
    window.history.replaceState(null, "", cfg.home); // the code must not stay in the address bar
    let login = null;
    try {
      login = JSON.parse(sessionStorage.getItem(LOGIN_KEY));
    } catch (e) {
      login = null;
    }
    sessionStorage.removeItem(LOGIN_KEY);
    if (params.get("error")) {
      return problem(`Sign-in failed: ${params.get("error")}: ${params.get("error_description") || ""}`);
    }
    if (!login || params.get("state") !== login.state) {
      return problem("Sign-in failed: the state does not match the one this tab sent. Try again.");
    }
    const answer = await tokenRequest({
      grant_type: "authorization_code",
      client_id: cfg.clientId,
      code: params.get("code"),
      redirect_uri: cfg.redirectUri,
      code_verifier: login.verifier,
    });
    if (!answer.ok) return problem(`The code exchange failed: ${answer.body.error} ${answer.body.error_description || ""}`);
    if (answer.body.id_token && decodeJwt(answer.body.id_token).claims.nonce !== login.nonce) {
      return problem("The ID token's nonce does not match the one this tab sent; its tokens are not used.");
    }
    state = { tokens: answer.body, old: null, rotatedAt: null, revoked: false, log: [] };
    log(`Signed in. Refresh token ${short(answer.body.refresh_token)} starts family ${familyOf(answer.body.access_token)}.`);
  }

  // 2. Refresh: the current refresh token is rotated, a new one comes back.
  async function refresh() {
    const old = state.tokens.refresh_token;
    const answer = await refreshWith(old);
    if (!answer.ok) {
      log(`Refresh with ${short(old)} refused: ${answer.body.error}.`, "bad");
      return;
    }
    const family = familyOf(answer.body.access_token);
    state.tokens = { ...state.tokens, ...answer.body };
    state.old = old;
    state.rotatedAt = Date.now();
    log(`Refreshed: old ${short(old)} → new ${short(answer.body.refresh_token)}, still family ${family}.`, "ok");
  }

  // 3. Replay the rotated token: a retry within the grace period, reuse after it.
  async function replay() {
    const old = state.old;
    const answer = await refreshWith(old);
    if (answer.ok) {
      log(
        `Replayed old ${short(old)} within the ${leeway}-second grace period: accepted as a retry, ` +
          `Rotor minted ${short(answer.body.refresh_token)} in the same family. Replay it after the grace period.`,
        "ok",
      );
      return;
    }
    log(`Replayed old ${short(old)}: refused (${answer.body.error}).`, "bad");
    // Reuse detection revokes the whole family: the current refresh token and access token die with it.
    const current = await refreshWith(state.tokens.refresh_token);
    const userinfo = await fetch(`${cfg.server}/userinfo`, {
      headers: { Authorization: `Bearer ${state.tokens.access_token}` },
      credentials: "omit",
    });
    if (!current.ok && userinfo.status === 401) {
      state.revoked = true;
      log(
        `Reuse detected: Rotor revoked the whole family ${familyOf(state.tokens.access_token)}. The current ` +
          `refresh token ${short(state.tokens.refresh_token)} is refused too (${current.body.error}), and ` +
          "/userinfo refuses the access token (401).",
        "bad",
      );
    } else {
      log(`The current refresh token still works (HTTP ${current.status}); the family was not revoked.`, "info");
      if (current.ok) {
        // That check was a refresh too: the token it sent is now the rotated one.
        state.old = state.tokens.refresh_token;
        state.rotatedAt = Date.now();
        state.tokens = { ...state.tokens, ...current.body };
      }
    }
  }

  function showGrace() {
    const grace = $("grace");
    clearInterval(graceTimer);
    if (!state.old || state.revoked) {
      grace.hidden = true;
      return;
    }
    const tick = () => {
      // One second more than the app's leeway: the server counts from its own rotation, a little earlier.
      const left = Math.ceil((state.rotatedAt + (leeway + 1) * 1000 - Date.now()) / 1000);
      grace.hidden = false;
      if (left > 0) {
        grace.className = "grace open";
        grace.textContent = `Grace period: ${left} s left. Replaying ${short(state.old)} now is taken for a retry.`;
      } else {
        grace.className = "grace over";
        grace.textContent = `The grace period is over: replaying ${short(state.old)} now is reuse.`;
        clearInterval(graceTimer);
      }
    };
    tick();
    graceTimer = setInterval(tick, 250);
  }

  function show(id, value) {
    $(id).textContent = JSON.stringify(value, null, 2);
  }

  function render() {
    const signedIn = Boolean(state && state.tokens);
    $("signed-out").hidden = signedIn;
    $("signed-in").hidden = !signedIn;
    if (!signedIn) return;
    const tokens = state.tokens;
    const family = familyOf(tokens.access_token);
    $("family-id").textContent = family || "none (no offline_access)";
    const link = $("family-link");
    link.hidden = !family;
    if (family) link.href = cfg.familyUrl.replace(cfg.familyPlaceholder, encodeURIComponent(family));
    $("refresh-current").textContent = short(tokens.refresh_token);
    const at = decodeJwt(tokens.access_token);
    show("at-header", at.header);
    show("at-claims", at.claims);
    if (tokens.id_token) {
      const idt = decodeJwt(tokens.id_token);
      show("id-header", idt.header);
      show("id-claims", idt.claims);
    }
    $("rotation").hidden = !state.old;
    $("rotation-old").textContent = short(state.old);
    $("rotation-new").textContent = short(tokens.refresh_token);
    $("refresh").disabled = state.revoked || !tokens.refresh_token;
    $("replay").disabled = state.revoked || !state.old;
    const outcome = $("outcome");
    outcome.hidden = !state.revoked;
    outcome.className = "alert";
    outcome.textContent = state.revoked
      ? "The family was revoked: every refresh token and access token of this sign-in is dead. Its timeline in " +
        "the console shows the reuse detection. Start over to sign in again."
      : "";
    const signOut = new URLSearchParams({ post_logout_redirect_uri: cfg.home });
    if (tokens.id_token) signOut.set("id_token_hint", tokens.id_token);
    $("sign-out").href = `${cfg.server}/logout?${signOut}`;
    const list = $("log");
    list.replaceChildren(
      ...state.log.map((entry) => {
        const item = document.createElement("li");
        item.className = entry.kind;
        item.textContent = `${entry.at} ${entry.text}`;
        return item;
      }),
    );
    showGrace();
  }

  function busy(button, action) {
    return async () => {
      button.disabled = true;
      try {
        await action();
      } catch (e) {
        problem(`${e}`);
      }
      render();
    };
  }

  function startOver() {
    state = null;
    save();
    render();
  }

  const home = new URL(cfg.home);
  if (window.location.origin !== home.origin) {
    // The verifier is kept per origin, and the redirect URI names the issuer's.
    problem(`Open this demo at ${cfg.home}: sign-in returns there.`);
    return;
  }
  if (!window.crypto || !crypto.subtle) {
    problem("This browser offers no Web Crypto here (it needs https, or http on localhost) for PKCE.");
    return;
  }
  $("sign-in").addEventListener("click", busy($("sign-in"), signIn));
  $("refresh").addEventListener("click", busy($("refresh"), refresh));
  $("replay").addEventListener("click", busy($("replay"), replay));
  $("start-over").addEventListener("click", startOver);
  $("sign-out").addEventListener("click", () => sessionStorage.removeItem(STATE_KEY));

  const params = new URLSearchParams(window.location.search);
  if (params.has("code") || params.has("error")) {
    finishSignIn(params).then(render, (e) => {
      problem(`${e}`);
      render();
    });
  } else {
    render();
  }
})();
