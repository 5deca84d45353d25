"""A device script, as a TV would run it: start the device flow, show the code, poll, then refresh.

Run as `python tests/kit/device_client.py BASE_URL CLIENT_ID [SCOPE]`. It prints one JSON line when the
flow starts (what the TV would show) and one when it ends (tokens, the refresh, what polling saw).
It honours `interval` and every `slow_down`, as RFC 8628 §3.5 asks of a device.
"""

import json
import sys
import time

import requests

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def main(base: str, client_id: str, scope: str) -> int:
    start = requests.post(
        f"{base}/oauth2/v1/device/authorize", data={"client_id": client_id, "scope": scope}, timeout=10
    )
    start.raise_for_status()
    flow = start.json()
    print(json.dumps({"event": "started", **{k: v for k, v in flow.items() if k != "device_code"}}), flush=True)

    interval = flow["interval"]
    deadline = time.monotonic() + flow["expires_in"]
    seen: list[str] = []
    while time.monotonic() < deadline:
        time.sleep(interval)  # the protocol's own wait between polls
        poll = requests.post(
            f"{base}/oauth2/v1/token",
            data={"grant_type": DEVICE_GRANT, "device_code": flow["device_code"], "client_id": client_id},
            timeout=10,
        )
        if poll.status_code == 200:
            tokens = poll.json()
            break
        error = poll.json()["error"]
        seen.append(error)
        if error == "slow_down":
            interval += 5
        elif error != "authorization_pending":
            print(json.dumps({"event": "failed", "error": error, "seen": seen}), flush=True)
            return 1
    else:
        print(json.dumps({"event": "failed", "error": "timeout", "seen": seen}), flush=True)
        return 1

    refreshed = requests.post(
        f"{base}/oauth2/v1/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": client_id},
        timeout=10,
    )
    print(
        json.dumps(
            {
                "event": "done",
                "seen": seen,
                "tokens": tokens,
                "refresh_status": refreshed.status_code,
                "refreshed": refreshed.json(),
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "openid profile offline_access"))
