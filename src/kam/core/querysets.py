"""The one place where data scope is enforced.

Every scoped model uses :class:`RestrictedQuerySet` as its manager and declares a
:class:`ScopeSpec` as ``kam_scope``. ``Model.objects.restrict(user, action)`` turns the user's
active grants into one ``Q`` object over the org tree's materialised path; web views, the API,
exports, charts and form choices all start from it. Writes are re-checked against it inside the
transaction (:func:`check_in_scope`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from kam.org.models import User


@dataclass(frozen=True)
class ScopeSpec:
    """How a model relates to the org tree and to an owning user.

    ``org``: lookup path to an ``OrgUnit`` (``""`` when the model *is* the org unit, ``None`` when
    the model is not tied to the org tree, e.g. a global catalogue).
    ``owner``: lookup path to the owning ``User`` (``""`` when the model *is* the user).
    """

    module: str
    org: str | None = None
    owner: str | None = None


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, user: User | Any, action: str = "view") -> RestrictedQuerySet:
        from kam.org.permissions import scope_q

        q = scope_q(user, self.model, action)
        if q is None:
            return self.none()
        return self.filter(q)


def check_in_scope(user: User | Any, obj: models.Model, action: str = "change") -> None:
    """Raise ``PermissionDenied`` unless ``obj`` lies in the user's scope for ``action``.

    Call inside the write's transaction, after the change, so a write can neither touch a record
    outside the scope nor move one out of it.
    """
    model = type(obj)
    if not model._default_manager.restrict(user, action).filter(pk=obj.pk).exists():
        raise PermissionDenied(_("You have no permission for this record."))
