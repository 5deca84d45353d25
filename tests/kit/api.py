"""The management API (/api/v1): its error bodies, in Okta's shape."""


def assert_error(response, status: int, code: str):
    """The response is an error of this HTTP status and Okta error code."""
    assert response.status_code == status, response.content
    assert response.json()["errorCode"] == code


def assert_okta_error(response, status: int, code: str):
    """`assert_error`, and the body is exactly Okta's error object: its five fields, a link and an id."""
    assert_error(response, status, code)
    body = response.json()
    assert set(body) == {"errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"}
    assert body["errorLink"] == code
    assert body["errorId"].startswith("oae")
