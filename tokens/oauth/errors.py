"""OAuth errors in RFC 6749 form, with the exact texts of SPEC §6."""

INVALID_REFRESH = "The refresh token is invalid or expired."
INVALID_CODE = "The authorization code is invalid or has expired."
REDIRECT_MISMATCH = "The 'redirect_uri' does not match the redirection URI used in the authorization request."
PKCE_FAILED = "PKCE verification failed."
NO_CLIENT_CREDENTIALS = "No client credentials found."
CLIENT_AUTH_FAILED = "Client authentication failed. Either the client or the client credentials are invalid."
INVALID_SCOPE = (
    "The requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner."
)
DUPLICATE_PARAMETER = "The request contained multiple parameters with the same name."


def missing(name: str) -> str:
    return f"The required parameter '{name}' is missing."


class OAuthError(Exception):
    """An error answered as `{"error", "error_description"}` (401 for invalid_client)."""

    def __init__(self, error: str, description: str, *, status: int | None = None, headers: dict | None = None):
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status or (401 if error == "invalid_client" else 400)
        self.headers = headers or {}
        if self.status == 401 and "WWW-Authenticate" not in self.headers:
            self.headers["WWW-Authenticate"] = 'Basic realm="rotor"'

    def as_dict(self) -> dict:
        return {"error": self.error, "error_description": self.description}


def invalid_grant_refresh() -> OAuthError:
    return OAuthError("invalid_grant", INVALID_REFRESH)


def invalid_client() -> OAuthError:
    return OAuthError("invalid_client", CLIENT_AUTH_FAILED)


def configured_grants(app) -> str:
    return f"Configured grant types: [{', '.join(app.grant_types)}]."


def unauthorized_client(app) -> OAuthError:
    """The app does not allow the grant it asked for (SPEC §6)."""
    return OAuthError(
        "unauthorized_client", f"The client is not authorized to use the provided grant type. {configured_grants(app)}"
    )
