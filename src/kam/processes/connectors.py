"""Service tasks (接口派发): connectors registered by code, and webhooks.

A service task's node configuration names one of::

    {"connector": "work_order", "params": {"role": "work_order", "org": "city"}}
    {"webhook": {"url": "http://…", "secret": "…", "timeout_seconds": 5, "retries": 3}}

A connector is ``fn(call: ServiceContext) -> dict | PENDING``: a dict finishes the step at once
(its items are merged into the instance data); :data:`PENDING` means the answer comes later
(e.g. the ``work_order`` connector opens a pool task in the 工单 pool and the step goes on when
that task is handled). Register with :func:`register_connector` in an ``AppConfig.ready()``.

A webhook is an HTTP POST of JSON ``{instance, business_key, process, step, data}`` with header
``X-KAM-Signature: sha256=<hex HMAC-SHA256 of the body with the node's secret>``; a 2xx answer
whose body is a JSON object is merged into the instance data. Every attempt is counted; after the
last failed attempt the call is marked failed and the instance keeps waiting (monitoring shows
the error and offers a retry).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PENDING = object()
SIGNATURE_HEADER = "X-KAM-Signature"


@dataclass
class ServiceContext:
    call: Any  # the ServiceCall row
    instance: Any  # the ProcessInstance
    node_id: str
    node_name: str
    params: dict = field(default_factory=dict)

    @property
    def data(self) -> dict:
        return self.instance.data


CONNECTORS: dict[str, Callable[[ServiceContext], Any]] = {}


def register_connector(code: str, fn: Callable[[ServiceContext], Any]) -> None:
    """Register (or replace) connector ``code``; see the module docstring."""
    CONNECTORS[code] = fn


class ServiceError(Exception):
    """A service call failed; ``str()`` says why."""


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def post_webhook(url: str, secret: str, payload: dict, timeout: float) -> dict:
    """One POST attempt; the answer's JSON object, or :class:`ServiceError`."""
    if not url.startswith(("http://", "https://")):
        raise ServiceError(f"not an http(s) URL: {url}")
    body = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", SIGNATURE_HEADER: sign(secret, body)})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http(s) only, checked)
            text = response.read(1_000_000).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        raise ServiceError(f"HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ServiceError(str(getattr(exc, "reason", exc)) or type(exc).__name__) from exc
    if not text.strip():
        return {}
    try:
        answer = json.loads(text)
    except ValueError as exc:
        raise ServiceError("the answer is not JSON") from exc
    return answer if isinstance(answer, dict) else {}
