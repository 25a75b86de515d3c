"""The permission matrix every list, detail, export and API endpoint is run through.

A test gives:
- ``module``: the permission module the endpoint belongs to;
- ``records``: one record per world user (``{"me": obj, "peer": obj, …}``), each placed at that
  user's org unit and owned by that user, or an explicit mapping when the model has no owner;
- ``probes``: callables that tell what the client of the user "me" sees
  (:func:`list_probe`, :func:`detail_probe` and friends).

The matrix gives "me" no grant, each data-scope level, an expired grant, a not-yet-valid grant
and two roles with different scopes, then checks each probe against the expected set.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.test import Client

from kam.core import clock
from kam.org.models import DataScope, Role
from kam.org.permissions import clear_cache

from .world import World, grant_role

WORLD_USERS = ("me", "peer", "dept", "sub", "city_a", "other")

# What "me" (in county 1, superior of "sub") must see of records owned by / placed at each user.
STANDARD_EXPECTED: dict[str, set[str]] = {
    "none": set(),
    DataScope.ALL: set(WORLD_USERS),
    DataScope.CUSTOM: {"other"},  # custom units: city B
    DataScope.UNIT: {"me", "peer"},
    DataScope.SUBTREE: {"me", "peer", "dept"},
    DataScope.OWN: {"me"},
    DataScope.OWN_AND_SUBORDINATES: {"me", "sub"},
    "expired": set(),
    "not_yet_valid": set(),
    "two_roles": {"me", "peer", "sub"},  # unit + own_and_subordinates
}


@dataclass
class Probe:
    """``see(client, records) -> set of labels visible``."""

    name: str
    see: Callable[[Client, dict[str, object]], set[str]]


def _labels_for(pks: Iterable, records: dict[str, object]) -> set[str]:
    pks = {str(p) for p in pks}
    return {label for label, obj in records.items() if str(obj.pk) in pks}


def api_list_probe(url: str) -> Probe:
    def see(client: Client, records):
        resp = client.get(url, {"page_size": 500})
        if resp.status_code in (401, 403):
            return set()
        assert resp.status_code == 200, (url, resp.status_code, resp.content[:300])
        data = resp.json()
        rows = data["results"] if isinstance(data, dict) else data
        return _labels_for((r["id"] for r in rows), records)

    return Probe(f"api list {url}", see)


def api_detail_probe(url_for: Callable[[object], str]) -> Probe:
    def see(client: Client, records):
        seen = set()
        for label, obj in records.items():
            status = client.get(url_for(obj)).status_code
            assert status in (200, 403, 404), (url_for(obj), status)
            if status == 200:
                seen.add(label)
        return seen

    return Probe("api detail", see)


def page_list_probe(url: str, params: dict | None = None) -> Probe:
    """A list page exposes its rows in the context as ``page.rows``."""

    def see(client: Client, records):
        resp = client.get(url, {**(params or {}), "per_page": 500})
        if resp.status_code == 403:
            return set()
        assert resp.status_code == 200, (url, resp.status_code)
        return _labels_for((o.pk for o in resp.context["page"].rows), records)

    return Probe(f"page list {url}", see)


def page_detail_probe(url_for: Callable[[object], str]) -> Probe:
    def see(client: Client, records):
        seen = set()
        for label, obj in records.items():
            status = client.get(url_for(obj)).status_code
            assert status in (200, 403, 404), (url_for(obj), status)
            if status == 200:
                seen.add(label)
        return seen

    return Probe("page detail", see)


def export_probe(url: str, id_column: str = "ID") -> Probe:
    """An Excel export: the ids in column ``id_column`` of the first sheet."""

    def see(client: Client, records):
        from python_calamine import CalamineWorkbook

        resp = client.get(url)
        if resp.status_code == 403:
            return set()
        assert resp.status_code == 200, (url, resp.status_code)
        body = b"".join(resp.streaming_content) if resp.streaming else resp.content
        rows = CalamineWorkbook.from_filelike(io.BytesIO(body)).get_sheet_by_index(0).to_python()
        col = rows[0].index(id_column)
        return _labels_for((str(int(r[col])) if isinstance(r[col], float) else r[col] for r in rows[1:]), records)

    return Probe(f"export {url}", see)


def run_matrix(world: World, module: str, records: dict[str, object], probes: list[Probe], *,
               expected: dict[str, set[str]] | None = None, actions=("view", "change", "analyse"),
               login: Callable[[Client, object], None] | None = None) -> None:
    """Run every scope case for the user "me" and assert each probe sees exactly the expected set.

    The clock stands still meanwhile: the "expired" and "not yet valid" cases are dated from today,
    which must not change halfway (a suite running across midnight)."""
    import time_machine

    with time_machine.travel(clock.now(), tick=False):
        _run_matrix(world, module, records, probes, expected=expected, actions=actions, login=login)


def _run_matrix(world: World, module: str, records: dict[str, object], probes: list[Probe], *,
                expected: dict[str, set[str]] | None, actions, login) -> None:
    expected = {**STANDARD_EXPECTED, **(expected or {})}
    me = world.user("me")
    today = clock.today()
    cases: dict[str, list[dict]] = {
        "none": [],
        DataScope.ALL: [{"scope": DataScope.ALL}],
        DataScope.CUSTOM: [{"scope": DataScope.CUSTOM, "custom_units": [world.unit("city_b")]}],
        DataScope.UNIT: [{"scope": DataScope.UNIT}],
        DataScope.SUBTREE: [{"scope": DataScope.SUBTREE}],
        DataScope.OWN: [{"scope": DataScope.OWN}],
        DataScope.OWN_AND_SUBORDINATES: [{"scope": DataScope.OWN_AND_SUBORDINATES}],
        "expired": [{"scope": DataScope.ALL, "valid_to": today - dt.timedelta(days=1)}],
        "not_yet_valid": [{"scope": DataScope.ALL, "valid_from": today + dt.timedelta(days=1)}],
        "two_roles": [{"scope": DataScope.UNIT}, {"scope": DataScope.OWN_AND_SUBORDINATES}],
    }
    failures = []
    for case, grants in cases.items():
        me.roles.clear()
        for spec in grants:
            grant_role(me, module, actions=actions, **spec)
        clear_cache(me)
        client = Client()
        (login or (lambda c, u: c.force_login(u)))(client, me)
        for probe in probes:
            got = probe.see(client, records)
            want = expected[case]
            if got != want:
                failures.append(f"{case}: {probe.name}: saw {sorted(got)}, expected {sorted(want)}")
    me.roles.clear()
    Role.objects.filter(builtin=False, users__isnull=True).delete()
    assert not failures, "permission matrix failures:\n" + "\n".join(failures)
