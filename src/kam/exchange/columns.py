"""Column types of import/export specs: how one cell is read, checked, described and written.

A column turns the raw value of a cell (as python-calamine gives it: ``str``, ``float``, ``bool``,
``date``/``datetime`` or ``""``) into a Python value, or raises :class:`CellError` with a message
naming the problem; the engine prefixes the column's header. For exports it turns the model's
value back into a cell value, so an exported file can be imported again ("update existing").

Only :class:`ForeignKey` and :class:`Dictionary` touch the database, and only in ``prepare``:
once per column and file, never per row.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.core import clock

EXCEL_EPOCH = dt.date(1899, 12, 30)
_MULTI_SPLIT = re.compile(r"[,，、;；]")


class CellError(Exception):
    """A cell's value is not acceptable; the message names the problem, not the column."""


@dataclass(frozen=True)
class Deferred:
    """A reference to a record created by an earlier row of the same file (resolved on write)."""

    key: str


def _clean(raw: Any) -> Any:
    """Normalise a raw cell: strip strings, map empty to ``None``."""
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = raw.strip()
        return raw or None
    return raw


def _as_text(raw: Any) -> str:
    if isinstance(raw, bool):
        return _("Yes") if raw else _("No")
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, dt.datetime):
        return raw.strftime("%Y-%m-%d %H:%M:%S") if raw.time() != dt.time(0) else raw.date().isoformat()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    return str(raw)


def resolve_attr(obj: Any, path: str) -> Any:
    """``a.b.c`` or ``a__b__c`` on an object; ``None`` as soon as a link is empty."""
    for part in path.replace("__", ".").split("."):
        if obj is None:
            return None
        obj = getattr(obj, part)
    return obj


@dataclass(eq=False)
class Column:
    """One column of a sheet.

    ``field``: the name the value is passed to the spec's ``create``/``update`` under, and the
    attribute path read for exports (override with ``source``: a path or ``callable(obj)``).
    ``header``: the (translated) header text; imports also accept the English header and
    ``field``. ``required``: the cell may not be empty when a record is created.
    ``importable`` / ``exportable``: in which direction the column takes part;
    ``create_only``: read on create, ignored when updating (e.g. an initial password).
    """

    field: str
    header: str | Promise
    required: bool = False
    help: str | Promise = ""
    source: str | Callable[[Any], Any] | None = None
    importable: bool = True
    exportable: bool = True
    create_only: bool = False
    width: int = 16

    type_label: Any = dc_field(default=gettext_lazy("Text"), init=False, repr=False)

    # ---- import ----
    def prepare(self, raw_values: set[Any], ctx: Any) -> None:
        """Resolve everything the column needs for all rows of a file at once (bulk look-ups)."""

    def parse(self, raw: Any, ctx: Any = None) -> Any:
        return _as_text(raw)

    def allowed_values(self) -> list[str] | None:
        """Values offered in the template's dropdown (``None``: free input)."""
        return None

    def describe(self) -> str:
        """The format description of the template's instructions sheet."""
        return str(self.help)

    # ---- export / comparison ----
    def value_of(self, obj: Any) -> Any:
        if callable(self.source):
            return self.source(obj)
        return resolve_attr(obj, self.source or self.field)

    def to_cell(self, value: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, Decimal):
            return float(value)
        if isinstance(value, dt.datetime):  # Excel has no time zones: the local time
            return (timezone.localtime(value) if timezone.is_aware(value) else value).replace(tzinfo=None)
        return value

    def cell_of(self, obj: Any) -> Any:
        return self.to_cell(self.value_of(obj))

    def same(self, obj: Any, value: Any) -> bool:
        """Whether writing ``value`` would leave ``obj`` unchanged (update mode skips the row)."""
        return self.value_of(obj) == value


@dataclass(eq=False)
class Text(Column):
    max_length: int | None = None
    pattern: str | None = None
    pattern_message: str | Promise = ""

    def __post_init__(self) -> None:
        self.type_label = gettext_lazy("Text")

    def parse(self, raw: Any, ctx: Any = None) -> str:
        text = _as_text(raw)
        if self.max_length and len(text) > self.max_length:
            raise CellError(_("is longer than %(max)d characters") % {"max": self.max_length})
        if self.pattern and not re.fullmatch(self.pattern, text):
            raise CellError(str(self.pattern_message) or _("has a wrong format"))
        return text

    def same(self, obj: Any, value: Any) -> bool:
        return (self.value_of(obj) or "") == (value or "")

    def describe(self) -> str:
        parts = []
        if self.max_length:
            parts.append(_("at most %(max)d characters") % {"max": self.max_length})
        if self.help:
            parts.append(str(self.help))
        return _("; ").join(parts)


@dataclass(eq=False)
class Integer(Column):
    min_value: int | None = None
    max_value: int | None = None

    def __post_init__(self) -> None:
        self.type_label = gettext_lazy("Whole number")

    def parse(self, raw: Any, ctx: Any = None) -> int:
        if isinstance(raw, bool):
            raise CellError(_("is not a whole number"))
        try:
            number = Decimal(str(raw).replace(",", ""))
        except InvalidOperation:
            raise CellError(_("is not a whole number")) from None
        if number != number.to_integral_value():
            raise CellError(_("is not a whole number"))
        value = int(number)
        if self.min_value is not None and value < self.min_value:
            raise CellError(_("must be at least %(min)s") % {"min": self.min_value})
        if self.max_value is not None and value > self.max_value:
            raise CellError(_("must be at most %(max)s") % {"max": self.max_value})
        return value

    def describe(self) -> str:
        return str(self.help)


@dataclass(eq=False)
class Number(Column):
    """A decimal number with at most ``places`` decimal places (money, scores, percentages)."""

    places: int = 2
    min_value: Decimal | int | None = None
    max_value: Decimal | int | None = None

    def __post_init__(self) -> None:
        self.type_label = gettext_lazy("Number")

    def parse(self, raw: Any, ctx: Any = None) -> Decimal:
        if isinstance(raw, bool):
            raise CellError(_("is not a number"))
        text = repr(raw) if isinstance(raw, float) else str(raw)
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation:
            raise CellError(_("is not a number")) from None
        if not number.is_finite():
            raise CellError(_("is not a number"))
        if isinstance(raw, float):  # binary floats: round away representation noise
            number = number.quantize(Decimal(1).scaleb(-10)).normalize()
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > self.places:
            raise CellError(_("has more than %(places)d decimal places") % {"places": self.places})
        if self.min_value is not None and number < self.min_value:
            raise CellError(_("must be at least %(min)s") % {"min": self.min_value})
        if self.max_value is not None and number > self.max_value:
            raise CellError(_("must be at most %(max)s") % {"max": self.max_value})
        return number.quantize(Decimal(1).scaleb(-self.places))

    def describe(self) -> str:
        parts = [_("at most %(places)d decimal places") % {"places": self.places}]
        if self.help:
            parts.append(str(self.help))
        return _("; ").join(parts)


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_MONTH_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月?$"),
    re.compile(r"^(\d{4})(\d{2})$"),
)


def parse_date(raw: Any) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, float | int) and not isinstance(raw, bool):
        if 1 <= raw < 2958466:  # Excel serial day number
            return EXCEL_EPOCH + dt.timedelta(days=int(raw))
        raise CellError(_("is not a date (YYYY-MM-DD)"))
    text = str(raw).strip()
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                break
    raise CellError(_("is not a date (YYYY-MM-DD)"))


@dataclass(eq=False)
class Date(Column):
    width: int = 12

    def __post_init__(self) -> None:
        self.type_label = gettext_lazy("Date")

    def parse(self, raw: Any, ctx: Any = None) -> dt.date:
        return parse_date(raw)

    def describe(self) -> str:
        parts = [_("format YYYY-MM-DD, e.g. 2026-03-31")]
        if self.help:
            parts.append(str(self.help))
        return _("; ").join(parts)


@dataclass(eq=False)
class DateTime(Column):
    """A moment, exported as local time text (``2026-03-31 09:30``; with ``seconds`` also the
    seconds). Export only: moments are set by the application, not imported."""

    seconds: bool = False
    importable: bool = False
    width: int = 18

    def __post_init__(self) -> None:
        self.type_label = gettext_lazy("Date and time")

    def to_cell(self, value: Any) -> Any:
        return clock.local_text(value or None, self.seconds)


@dataclass(eq=False)
class Month(Column):
    """A month, stored and exported as ``YYYY-MM``."""

    width: int = 10

    def __post_init__(self) -> None:
        self.type_label = gettext_lazy("Month")

    def parse(self, raw: Any, ctx: Any = None) -> str:
        if isinstance(raw, dt.date):
            return f"{raw.year:04d}-{raw.month:02d}"
        text = _as_text(raw)
        for pattern in _MONTH_PATTERNS:
            m = pattern.match(text)
            if m and 1 <= int(m.group(2)) <= 12:
                return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
        raise CellError(_("is not a month (YYYY-MM)"))

    def describe(self) -> str:
        parts = [_("format YYYY-MM, e.g. 2026-03")]
        if self.help:
            parts.append(str(self.help))
        return _("; ").join(parts)


_TRUE = {"1", "y", "yes", "true", "t", "是", "启用", "有效", "√"}
_FALSE = {"0", "n", "no", "false", "f", "否", "停用", "无效", "×"}


@dataclass(eq=False)
class Boolean(Column):
    width: int = 8

    def __post_init__(self) -> None:
        self.type_label = gettext_lazy("Yes / no")

    def parse(self, raw: Any, ctx: Any = None) -> bool:
        if isinstance(raw, bool):
            return raw
        text = _as_text(raw).lower()
        if text in _TRUE or text == _("Yes").lower():
            return True
        if text in _FALSE or text == _("No").lower():
            return False
        raise CellError(_("must be “%(yes)s” or “%(no)s”") % {"yes": _("Yes"), "no": _("No")})

    def allowed_values(self) -> list[str]:
        return [_("Yes"), _("No")]

    def to_cell(self, value: Any) -> Any:
        if value is None:
            return ""
        return _("Yes") if value else _("No")

    def describe(self) -> str:
        return str(self.help)


@dataclass(eq=False)
class Choice(Column):
    """A value out of fixed choices (``TextChoices.choices``); the cell holds the label or the code."""

    choices: Sequence[tuple[Any, Any]] | Callable[[], Sequence[tuple[Any, Any]]] = ()

    def __post_init__(self) -> None:
        self.type_label = gettext_lazy("Choice")

    def options(self) -> list[tuple[Any, str]]:
        choices = self.choices() if callable(self.choices) else self.choices
        return [(code, str(label)) for code, label in choices]

    def _lookup(self) -> dict[str, Any]:
        table: dict[str, Any] = {}
        for code, label in self.options():
            table[str(code).lower()] = code
            table[label.lower()] = code
        return table

    def parse(self, raw: Any, ctx: Any = None) -> Any:
        text = _as_text(raw)
        cache = getattr(ctx, "cache", None)
        key = ("choice", id(self))
        table = cache.get(key) if cache is not None else None
        if table is None:
            table = self._lookup()
            if cache is not None:
                cache[key] = table
        if text.lower() not in table:
            raise CellError(_("“%(value)s” is not one of the allowed values") % {"value": text})
        return table[text.lower()]

    def allowed_values(self) -> list[str]:
        return [label for _code, label in self.options()]

    def to_cell(self, value: Any) -> Any:
        if value in (None, ""):
            return ""
        return dict(self.options()).get(value, value)

    def same(self, obj: Any, value: Any) -> bool:
        return (self.value_of(obj) or "") == (value or "")

    def describe(self) -> str:
        parts = [_("one of: %(values)s") % {"values": _("、").join(self.allowed_values())}]
        if self.help:
            parts.append(str(self.help))
        return _("; ").join(parts)


@dataclass(eq=False)
class Dictionary(Choice):
    """A coded value from the data dictionary (系统管理 › 字典管理) of type ``type_code``.

    The values come from ``kam.system.selectors.dict_values(type_code)`` when that app is
    installed; ``choices`` is the fallback (and what tests may give).
    """

    type_code: str = ""

    def __post_init__(self) -> None:
        self.type_label = gettext_lazy("Dictionary value")

    def options(self) -> list[tuple[Any, str]]:
        values = _dictionary_values(self.type_code)
        if values is None:
            return super().options()
        return values


def _dictionary_values(type_code: str) -> list[tuple[Any, str]] | None:
    try:
        from kam.system.selectors import dict_values  # type: ignore[import-not-found]
    except ImportError:
        return None
    result = []
    for item in dict_values(type_code):
        if isinstance(item, tuple | list):
            code, label = item[0], item[1]
        else:
            code = getattr(item, "value", None) or getattr(item, "code", None)
            label = getattr(item, "label", None) or getattr(item, "name", None) or code
        result.append((code, str(label)))
    return result


@dataclass(eq=False)
class ForeignKey(Column):
    """A reference to another record by its natural key (org unit code, account, role code…).

    ``model`` and ``key``: what the cell names (``OrgUnit`` by ``code``). ``scope``: the action the
    importing user must hold on the referenced record (``"view"`` by default; ``None`` for global
    catalogues) — a record outside the scope reads as not found. ``many``: several keys in one cell
    separated by commas (、 ， ; also accepted). ``self_ref``: the key may name a record created by
    an earlier row of the same file (e.g. a parent unit or a superior).
    All keys of a column are resolved in one query per file.
    """

    model: Any = None
    key: str = "code"
    scope: str | None = "view"
    many: bool = False
    self_ref: bool = False
    filter: dict[str, Any] = dc_field(default_factory=dict)

    def __post_init__(self) -> None:
        self.type_label = gettext_lazy("Reference")

    def _split(self, raw: Any) -> list[str]:
        text = _as_text(raw)
        if not self.many:
            return [text]
        return [part.strip() for part in _MULTI_SPLIT.split(text) if part.strip()]

    def queryset(self, user: Any):
        manager = self.model._default_manager
        qs = manager.restrict(user, self.scope) if self.scope and hasattr(manager, "restrict") else manager.all()
        return qs.filter(**self.filter) if self.filter else qs

    def prepare(self, raw_values: set[Any], ctx: Any) -> None:
        keys: set[str] = set()
        for raw in raw_values:
            keys.update(self._split(raw))
        found: dict[str, Any] = {}
        if keys:
            for obj in self.queryset(ctx.user).filter(**{f"{self.key}__in": sorted(keys)}):
                found[str(getattr(obj, self.key))] = obj
        ctx.cache[("fk", id(self))] = found

    def parse(self, raw: Any, ctx: Any = None) -> Any:
        found = ctx.cache.get(("fk", id(self)), {})
        values = []
        for key in self._split(raw):
            obj = found.get(key)
            if obj is None:
                if self.self_ref and key in ctx.file_keys:
                    values.append(Deferred(key))
                    continue
                raise CellError(_("“%(value)s” was not found") % {"value": key})
            values.append(obj)
        return values if self.many else values[0]

    def resolve_deferred(self, value: Deferred, ctx: Any) -> Any:
        obj = self.queryset(ctx.user).filter(**{self.key: value.key}).first()
        if obj is None:
            raise CellError(
                _("“%(value)s” names a row of this file that has errors or comes after this row")
                % {"value": value.key}
            )
        return obj

    def value_of(self, obj: Any) -> Any:
        if callable(self.source):
            return self.source(obj)
        related = resolve_attr(obj, self.source or self.field)
        if self.many:
            return list(related.all()) if related is not None else []
        return related

    def to_cell(self, value: Any) -> Any:
        if value is None:
            return ""
        if self.many:
            return ",".join(str(getattr(v, self.key)) for v in value)
        return str(getattr(value, self.key))

    def same(self, obj: Any, value: Any) -> bool:
        current = self.value_of(obj)
        if self.many:
            return {o.pk for o in current} == {v.pk for v in value}
        return (current.pk if current is not None else None) == (value.pk if value is not None else None)

    def describe(self) -> str:
        label = str(self.model._meta.verbose_name)
        key_label = str(self.model._meta.get_field(self.key).verbose_name)
        text = _("%(key)s of an existing %(model)s") % {"key": key_label, "model": label}
        parts = [text]
        if self.many:
            parts.append(_("several values separated by commas"))
        if self.help:
            parts.append(str(self.help))
        return _("; ").join(parts)


def columns_by_field(columns: Iterable[Column]) -> dict[str, Column]:
    return {c.field: c for c in columns}
