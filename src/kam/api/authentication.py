"""API tokens that expire (R-AUTH-1: sessions expire, API tokens too).

A token is valid for ``KAM_API_TOKEN_HOURS`` hours (default 12) after it was issued by
``POST /api/v1/auth/token/``; an expired token is deleted and the caller gets a 401 asking to
log in again. Obtaining a token while an expired one exists issues a fresh one.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed


def token_lifetime() -> dt.timedelta:
    return dt.timedelta(hours=float(getattr(settings, "KAM_API_TOKEN_HOURS", 12)))


def token_expired(token) -> bool:
    # ``Token.created`` is stamped with the real time (``auto_now_add``), so the token's age is
    # measured on the real clock too, not on the business calendar that ``KAM_TODAY`` may pin.
    return token.created + token_lifetime() <= timezone.now()


class ExpiringTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``, refused once the token is older than its lifetime."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            token.delete()
            raise AuthenticationFailed(_("The API token has expired; obtain a new one at /api/v1/auth/token/."))
        return user, token
