import jwt

from tests.oauth import exchange, refresh, sign_in


def test_code_flow_and_refresh(client, confidential_app, end_user):
    client.force_login(end_user)
    grant = sign_in(client, confidential_app)
    response = exchange(client, confidential_app, grant, secret=confidential_app.plain_secret)
    assert response.status_code == 200, response.content
    body = response.json()
    assert {"access_token", "id_token", "refresh_token", "expires_in", "scope"} <= set(body)
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["cid"] == confidential_app.client_id
    again = refresh(client, confidential_app, body["refresh_token"], secret=confidential_app.plain_secret)
    assert again.status_code == 200, again.content
    assert again.json()["refresh_token"] == body["refresh_token"]
