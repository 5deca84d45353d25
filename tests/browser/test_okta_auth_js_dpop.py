"""Okta's own browser SDK, `@okta/okta-auth-js` (vendored, tests/browser/vendor/README.md) with `dpop: true`, in
Debian's headless Chromium against a live gunicorn, unchanged: it signs in with the code flow and PKCE through
Rotor's sign-in page, answers Rotor's `use_dpop_nonce` as it answers Okta's, renews through a rotating
DPoP-bound refresh token, and calls userinfo with `Authorization: DPoP` and a proof. The page is served from
another loopback origin, so every call is a real CORS call (the `DPoP` header, the exposed `DPoP-Nonce`)."""

import functools
import shutil
import threading
import uuid
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
import pytest
import requests

pytestmark = [pytest.mark.live, pytest.mark.browser]

VENDOR = Path(__file__).with_name("vendor")
PASSWORD = "okta sdk user password 1"
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>okta-auth-js with DPoP</title>
<script src="okta-auth-js.core.min.js"></script><script src="config.js"></script></head>
<body><p id="status">loading</p>
<script>
const Auth = window.OktaAuth.OktaAuth || window.OktaAuth;
const auth = window.auth = new Auth({
  issuer: CONFIG.issuer,
  clientId: CONFIG.clientId,
  redirectUri: location.origin + "/",
  scopes: ["openid", "profile", "email", "offline_access"],
  pkce: true,
  dpop: true,
  tokenManager: {autoRenew: false, storage: "localStorage"},
});
const status = (text) => { document.getElementById("status").textContent = text; };
(async () => {
  if (auth.isLoginRedirect()) {
    const {tokens} = await auth.token.parseFromUrl();
    auth.tokenManager.setTokens(tokens);
    history.replaceState(null, "", "/");
    status("signed in");
  } else {
    status("signed out");
  }
})().catch((error) => status("error: " + error + " " + JSON.stringify(error)));
</script></body></html>
"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def spa(tmp_path):
    """The single-page app's files on a loopback origin of their own."""
    shutil.copy(VENDOR / "okta-auth-js.core.min.js", tmp_path)
    (tmp_path / "index.html").write_text(PAGE)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"origin": f"http://127.0.0.1:{server.server_address[1]}", "dir": tmp_path}
    server.shutdown()
    server.server_close()


@pytest.fixture
def registered(live, live_db, spa):
    """The SPA's app (public, rotating, DPoP required, its origin trusted) and a user, committed."""
    from accounts.services import create_user
    from clients.services import create_app

    tag = uuid.uuid4().hex[:8]
    app, _ = create_app(
        {
            "label": f"okta-auth-js {tag}",
            "application_type": "browser",
            "grant_types": ["authorization_code", "refresh_token"],
            "redirect_uris": [spa["origin"] + "/"],
            "trusted_origins": [spa["origin"]],
            "rotation_type": "ROTATE",
            "dpop_bound_access_tokens": True,
        }
    )
    user = create_user(username=f"sdk-{tag}@example.com", first_name="Okta", last_name="Sdk", password=PASSWORD)
    issuer = f"{live.url}/oauth2/default"
    (spa["dir"] / "config.js").write_text(f'const CONFIG = {{"issuer": "{issuer}", "clientId": "{app.client_id}"}};')
    return {"app": app, "user": user}


RENEW_AND_CALL_USERINFO = """async () => {
  const before = await auth.tokenManager.getTokens();
  const renewed = await auth.token.renewTokens();
  auth.tokenManager.setTokens(renewed);
  const info = await auth.token.getUserInfo(renewed.accessToken, renewed.idToken);
  return {
    before: {type: before.accessToken.tokenType, refresh: before.refreshToken.refreshToken},
    after: {type: renewed.accessToken.tokenType, refresh: renewed.refreshToken.refreshToken,
            access: renewed.accessToken.accessToken},
    sub: info.sub,
  };
}"""


def test_okta_auth_js_signs_in_renews_and_calls_userinfo_with_dpop(chromium, live, spa, registered):
    from tokens.models import RefreshToken, TokenFamily

    user = registered["user"]
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(spa["origin"] + "/")
    page.get_by_text("signed out").wait_for()

    page.evaluate("auth.token.getWithRedirect()")
    page.wait_for_url(lambda url: url.startswith(f"{live.url}/accounts/login/"))
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: url.startswith(spa["origin"]))
    status = page.locator("#status")
    status.filter(has_text="signed").wait_for()
    assert status.inner_text() == "signed in", status.inner_text()

    result = page.evaluate(RENEW_AND_CALL_USERINFO)
    assert not errors, errors
    assert result["before"]["type"] == result["after"]["type"] == "DPoP"
    assert result["after"]["refresh"] != result["before"]["refresh"]  # rotated
    assert result["sub"] == user.uid  # userinfo answered a DPoP proof

    # The key lives in the browser (IndexedDB, not exportable); Rotor knows only its thumbprint.
    jkt = jwt.decode(result["after"]["access"], options={"verify_signature": False})["cnf"]["jkt"]
    family = TokenFamily.objects.get(client=registered["app"])
    assert family.dpop_jkt == jkt and family.status == "ACTIVE"
    assert RefreshToken.objects.filter(family=family, rotated_at__isnull=False).count() == 1

    # Outside the browser the tokens are useless: the refresh token without the key, the access token as Bearer.
    stolen = requests.post(
        f"{live.url}/oauth2/default/v1/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": result["after"]["refresh"],
            "client_id": registered["app"].client_id,
        },
        timeout=10,
    )
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_dpop_proof"  # the app requires a proof
    bearer = requests.get(
        f"{live.url}/oauth2/default/v1/userinfo",
        headers={"Authorization": f"Bearer {result['after']['access']}"},
        timeout=10,
    )
    assert bearer.status_code == 401 and bearer.headers["WWW-Authenticate"].startswith("DPoP ")
    context.close()
