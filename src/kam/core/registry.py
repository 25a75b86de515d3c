"""Registries filled by each app at start-up: permission modules and menu entries.

A *module* is the unit a role is granted on (R-PERM-1): query / change / analyse, with a data
scope and an effective window. A *menu entry* belongs to one of the subsystems of the product
and is shown only to users who hold the module's grant for the entry's action.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTION_VIEW = "view"
ACTION_CHANGE = "change"
ACTION_ANALYSE = "analyse"
ACTIONS = (ACTION_VIEW, ACTION_CHANGE, ACTION_ANALYSE)


@dataclass(frozen=True)
class Module:
    code: str
    label: str | Promise
    subsystem: str
    # Default grants of the built-in roles: role code -> (actions, data scope).
    defaults: dict[str, tuple[tuple[str, ...], str]] = field(default_factory=dict)


@dataclass
class MenuEntry:
    label: str | Promise
    url_name: str
    module: str
    action: str = ACTION_VIEW
    order: int = 100


@dataclass
class Subsystem:
    code: str
    label: str | Promise
    order: int
    entries: list[MenuEntry] = field(default_factory=list)


# The subsystems of the final product, in menu order.
SUBSYSTEMS: dict[str, Subsystem] = {
    s.code: s
    for s in [
        Subsystem("marketing", _("Marketing"), 10),
        Subsystem("customers", _("Customers"), 20),
        Subsystem("usage", _("Usage"), 30),
        Subsystem("kpi", _("KPI"), 40),
        Subsystem("processes", _("Processes"), 50),
        Subsystem("sharing", _("Information sharing"), 60),
        Subsystem("system", _("System"), 70),
    ]
}

MODULES: dict[str, Module] = {}


def register_module(code: str, label: str | Promise, subsystem: str,
                    defaults: dict[str, tuple[tuple[str, ...], str]] | None = None) -> Module:
    module = Module(code, label, subsystem, defaults or {})
    MODULES[code] = module
    return module


def register_menu(subsystem: str, entry: MenuEntry) -> None:
    entries = SUBSYSTEMS[subsystem].entries
    if not any(e.url_name == entry.url_name for e in entries):
        entries.append(entry)
        entries.sort(key=lambda e: e.order)


def module_choices() -> list[tuple[str, str | Promise]]:
    return [(m.code, m.label) for m in MODULES.values()]


# --- home page panels ----------------------------------------------------------------------------


@dataclass
class HomePanelData:
    """What one home panel shows: a title, a count and a link (plus optional rows)."""

    title: str | Promise
    count: int | str | None = None
    url: str = ""
    link_label: str | Promise = ""
    rows: list[tuple[str, str]] = field(default_factory=list)  # (text, url) pairs
    tone: str = "primary"  # a Bootstrap colour name


@dataclass(frozen=True)
class HomePanel:
    """A "pending items" panel on the home page.

    ``panel(request)`` returns a :class:`HomePanelData`, or ``None`` when it has nothing for this
    user; ``template`` (optional) renders it instead of the standard card (context: ``panel``,
    ``request``). The panel is asked only when the user holds ``action`` on ``module`` (``None``:
    any logged-in user).
    """

    order: int
    name: str
    panel: object  # Callable[[HttpRequest], HomePanelData | None]
    module: str | None = None
    action: str = ACTION_VIEW
    template: str = ""


HOME_PANELS: list[HomePanel] = []


def register_home_panel(order: int, name: str, panel, module: str | None = None, action: str = ACTION_VIEW,
                        template: str = "") -> HomePanel:
    """Register a home-page panel (see :class:`HomePanel`); registering a name again replaces it."""
    entry = HomePanel(order, name, panel, module, action, template)
    HOME_PANELS[:] = [p for p in HOME_PANELS if p.name != name] + [entry]
    HOME_PANELS.sort(key=lambda p: p.order)
    return entry


# --- detail page panels --------------------------------------------------------------------------


@dataclass(frozen=True)
class DetailPanel:
    """A panel another app adds to a model's detail page (``ObjectDetailView``).

    ``template`` is rendered with the detail page's context (``object`` is the record);
    ``context(request, obj)`` (optional) returns extra context for it. Shown only when the user
    holds ``action`` on ``module`` (``None``: whoever may see the record).
    """

    order: int
    name: str
    template: str
    context: object = None  # Callable[[HttpRequest, Model], dict] | None
    module: str | None = None
    action: str = ACTION_VIEW


DETAIL_PANELS: dict[str, list[DetailPanel]] = {}


def register_detail_panel(model_label: str, panel: DetailPanel) -> None:
    """Add ``panel`` to the detail page of ``model_label`` (``"app_label.modelname"``, lower case)."""
    panels = DETAIL_PANELS.setdefault(model_label.lower(), [])
    panels[:] = [p for p in panels if p.name != panel.name] + [panel]
    panels.sort(key=lambda p: p.order)


# --- task-list sources (工作列表) -----------------------------------------------------------------


@dataclass(frozen=True)
class TodoEntry:
    """One line of a user's task list: something to do by ``due_at``.

    ``key`` is stable within its source (e.g. ``"workitem:42"``) so a user can remove the line
    from the list and it stays removed.
    """

    source: str
    key: str
    title: str
    due_at: datetime | None = None
    url: str = ""
    detail: str = ""


@dataclass(frozen=True)
class TodoSource:
    """A kind of thing that appears on users' task lists (work items, appointments, process tasks…).

    ``entries(user, until)`` yields the user's own :class:`TodoEntry` items due before ``until``
    (overdue ones included). ``events(user, start, until)`` (optional) yields events of this type
    within the user's data scope (``.restrict(user, "view")``) — the event types users may
    subscribe to with a lead time (R-WORK-4); a subscription never shows more than ``events``
    returns for that user. A source is asked only when the user holds ``view`` on ``module``
    (``None``: every logged-in user). ``current(keys)`` (optional) answers, for keys the source
    gave out, which are still open and their due time now (``{key: due_at}``): a reminder planned
    for a line that is done since, or whose due time moved, is withdrawn instead of fired.
    """

    code: str
    label: str | Promise
    entries: object = None  # Callable[[User, datetime], Iterable[TodoEntry]] | None
    events: object = None  # Callable[[User, datetime, datetime], Iterable[TodoEntry]] | None
    module: str | None = None
    current: object = None  # Callable[[Sequence[str]], dict[str, datetime | None]] | None


TODO_SOURCES: dict[str, TodoSource] = {}


def key_ids(keys: Sequence[str]) -> dict[int, str]:
    """``{id: key}`` of task-list keys of the form ``<kind>:<id>`` (others are left out)."""
    idents = ((key.partition(":")[2], key) for key in keys)
    return {int(ident): key for ident, key in idents if ident.isdigit()}


def register_todo_source(source: TodoSource) -> None:
    """Register (or replace) a task-list source; see :class:`TodoSource`."""
    TODO_SOURCES[source.code] = source


# --- built-in assessment metrics -------------------------------------------------------------------


@dataclass(frozen=True)
class BuiltinMetric:
    """A data-source metric (数据源指标) computed from the platform's own data.

    ``compute(period)`` (``"YYYY-MM"``) returns ``{manager user id: Decimal value}`` for that month
    — set-based, one or a few queries, never a per-manager loop. The assessment app keeps a
    ``Metric`` row with ``source = builtin`` for each registered metric and stores the computed
    values as the month's metric values before a computation run.
    """

    code: str
    name: str | Promise
    unit: str | Promise = ""
    is_percentage: bool = False
    compute: object = None  # Callable[[str], dict[int, Decimal]]


BUILTIN_METRICS: dict[str, BuiltinMetric] = {}


def register_builtin_metric(metric: BuiltinMetric) -> None:
    """Register (or replace) a built-in metric; see :class:`BuiltinMetric`."""
    BUILTIN_METRICS[metric.code] = metric
