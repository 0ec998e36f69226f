"""OAuth 2 error answers in the protocol's own shapes.

The token, introspection, revocation and userinfo endpoints answer ``{"error", "error_description"}`` JSON
(RFC 6749 §5.2, RFC 6750 §3) rather than the suite's RFC 9457 problems: every OAuth/OIDC client library parses
exactly this shape, and house rule 6 (real interfaces) wins over rule 5 here. Authorization errors go back to
the client's redirect URI as query parameters (RFC 6749 §4.1.2.1) with ``iss`` (RFC 9207).
"""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi.responses import JSONResponse, RedirectResponse

# RFC 6749 §5.1 and RFC 6750: token responses and errors must never be cached.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(Exception):
    """An OAuth error code with its HTTP status; endpoints turn it into a JSON answer."""

    def __init__(self, error: str, description: str, *, status: int = 400,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        return JSONResponse({"error": self.error, "error_description": self.description},
                            status_code=self.status, headers={**NO_STORE, **self.headers})


def invalid_request(description: str) -> OAuthError:
    return OAuthError("invalid_request", description)


def invalid_grant(description: str) -> OAuthError:
    return OAuthError("invalid_grant", description)


def invalid_client(description: str) -> OAuthError:
    # RFC 6749 §5.2: 401 with a challenge for the scheme the client could have used.
    return OAuthError("invalid_client", description, status=401,
                      headers={"WWW-Authenticate": 'Basic realm="nutzerkonto", charset="UTF-8"'})


def invalid_token(description: str, *, status: int = 401, error: str = "invalid_token",
                  scope: str | None = None) -> OAuthError:
    """A bearer-token error (RFC 6750 §3) with its challenge; the description is printable ASCII only."""
    safe = "".join(c for c in description if " " <= c <= "~" and c not in '"\\')
    challenge = f'Bearer error="{error}", error_description="{safe}"'
    if scope:
        challenge += f', scope="{scope}"'
    return OAuthError(error, description, status=status, headers={"WWW-Authenticate": challenge})


def with_params(uri: str, params: dict[str, str | None]) -> str:
    """``uri`` with ``params`` added to its query, keeping the query it already has (RFC 6749 §3.1.2)."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def redirect(uri: str, params: dict[str, str | None]) -> RedirectResponse:
    """303, so that a browser that POSTed the login form follows with GET (RFC 9700 §4.12)."""
    return RedirectResponse(with_params(uri, params), status_code=303, headers=NO_STORE)
