"""Token authentication for tools: django-rest-knox, which stores only a hash of each token."""

from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework import exceptions


class TokenAuthentication(KnoxTokenAuthentication):
    """knox's scheme (`Authorization: Token <token>`), refusing a token that is not UTF-8 or
    not ASCII with a 401 rather than failing on it with a 500 (knox decodes it unguarded)."""

    def authenticate_credentials(self, token: bytes):
        try:
            token.decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        return super().authenticate_credentials(token)
