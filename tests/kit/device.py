"""Helpers that act like a device (a TV) using the device authorization grant, in-process."""

from pathlib import Path

from tests.kit.oauth import form_post

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEVICE_CLIENT = Path(__file__).with_name("device_client.py")  # the same device as a script, for a live server


def tv_app_data(**overrides) -> dict:
    """A native, public app for TVs: device grant and refresh tokens (rotating, as every public client)."""
    data = {
        "label": "Living-room TV",
        "application_type": "native",
        "grant_types": [DEVICE_GRANT, "refresh_token"],
        "redirect_uris": [],
    }
    data.update(overrides)
    return data


def device_authorize(client, app, *, scope="openid profile offline_access", server="org", **headers):
    data = {"client_id": app.client_id, **({"scope": scope} if scope is not None else {})}
    return form_post(client, "device/authorize", data, server=server, **headers)


def poll(client, app, device_code: str, *, server="org"):
    data = {"grant_type": DEVICE_GRANT, "device_code": device_code, "client_id": app.client_id}
    return form_post(client, "token", data, server=server)
