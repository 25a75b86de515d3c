"""Login-safety settings read from 参数设置 (R-AUTH-1), for django-axes and Django's password
validation, so an administrator changes them on the page instead of in the settings file.

To use them, the settings name these callables::

    AXES_FAILURE_LIMIT = "kam.system.security.login_failure_limit"
    AXES_COOLOFF_TIME = "kam.system.security.lockout_cooloff"
    AUTH_PASSWORD_VALIDATORS = [..., {"NAME": "kam.system.security.ParameterMinimumLengthValidator"}]
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.password_validation import MinimumLengthValidator

from .selectors import param


def login_failure_limit(request: Any = None, credentials: Any = None) -> int:
    """``security.login_failure_limit`` (default 5)."""
    return int(param("security.login_failure_limit"))


def lockout_cooloff(request: Any = None) -> dt.timedelta:
    """``security.lockout_minutes`` (default 15) as the lockout time."""
    return dt.timedelta(minutes=int(param("security.lockout_minutes")))


class ParameterMinimumLengthValidator(MinimumLengthValidator):
    """Django's minimum-length check with the length from ``security.password_min_length``."""

    def __init__(self, min_length: int | None = None):
        super().__init__(min_length or 8)

    def validate(self, password, user=None):
        self.min_length = int(param("security.password_min_length"))
        super().validate(password, user)

    def get_help_text(self):
        self.min_length = int(param("security.password_min_length"))
        return super().get_help_text()
