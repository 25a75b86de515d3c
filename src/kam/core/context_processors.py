"""Template context shared by every page: the menu the current user may see."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from kam.core.registry import SUBSYSTEMS


def build_menu(user) -> list[dict]:
    """The subsystems in order, each with the entries the user holds a grant for.

    Entries whose page does not exist (yet) are left out; a subsystem with no entry is shown as
    disabled so the final product's structure stays visible.
    """
    from kam.org.permissions import has_perm

    menu = []
    for sub in sorted(SUBSYSTEMS.values(), key=lambda s: s.order):
        items = []
        for entry in sub.entries:
            if not has_perm(user, entry.module, entry.action):
                continue
            try:
                url = reverse(entry.url_name)
            except NoReverseMatch:
                continue
            items.append({"label": entry.label, "url": url, "url_name": entry.url_name})
        menu.append({"code": sub.code, "label": sub.label, "items": items})
    return menu


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"kam_menu": build_menu(user)}
