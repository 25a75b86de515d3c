"""``{% result_confirmation result %}``: the scorecard's confirmation state and actions (decision 0026)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.inclusion_tag("assessment/appeals/scorecard_confirmation.html", takes_context=True)
def result_confirmation(context, result):
    from .. import appeals
    from ..models import Appeal, ConfirmationState
    from ..tables import confirmation_badge

    request = context.get("request")
    user = getattr(request, "user", None)
    confirmation = appeals.confirmation_for_result(user, result) if user is not None else None
    if confirmation is None:
        return {"confirmation": None}
    can_act = (confirmation.user_id == user.pk and confirmation.state == ConfirmationState.PENDING
               and appeals.window_open(confirmation.publication))
    return {"confirmation": confirmation, "badge": confirmation_badge(confirmation.state), "can_act": can_act,
            "request": request,
            "appeals": Appeal.objects.restrict(user, "view").filter(confirmation=confirmation).order_by("-id")[:5]}
