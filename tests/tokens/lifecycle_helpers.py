"""Start a family the real way (authorize + code exchange) and refresh it, in-process."""

from tests.oauth import exchange, refresh, sign_in


def start(client, app, user, *, secret=None, scope="openid profile email offline_access", server="org") -> dict:
    client.force_login(user)
    grant = sign_in(client, app, scope=scope, server=server)
    response = exchange(client, app, grant, secret=secret, server=server)
    assert response.status_code == 200, response.content
    return response.json()


def do_refresh(client, app, token, *, secret=None, scope=None, server="org"):
    return refresh(client, app, token, secret=secret, scope=scope, server=server)


def introspect(client, app, token, *, secret=None, server="org") -> dict:
    from urllib.parse import urlencode

    from tests.oauth import PREFIX

    data = {"token": token, "client_id": app.client_id}
    if secret:
        data["client_secret"] = secret
    response = client.post(
        f"{PREFIX[server]}/introspect", urlencode(data), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200, response.content
    return response.json()
