"""Translated messages for the kernel's problems (R-ASM-1, R-ASM-2)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .kernel import Problem


def _end(end: str) -> str:
    return _("lower bound") if end == "lower" else _("upper bound")


def interval_message(p: Problem) -> str:
    pr = p.params
    n = p.position
    if p.code == "no_intervals":
        return _("Enter at least one score interval.")
    if p.code == "infinite_closed":
        return _("Interval %(n)s: an infinite %(end)s cannot be included (closed).") % {"n": n, "end": _end(pr["end"])}
    if p.code == "bound_not_number":
        return _("Interval %(n)s: the %(end)s “%(value)s” is not a number (write digits, e.g. 50000).") % {
            "n": n, "end": _end(pr["end"]), "value": pr["value"]}
    if p.code == "score_not_number":
        return _("Interval %(n)s: the score “%(value)s” is not a number.") % {"n": n, "value": pr["value"]}
    if p.code == "bound_decimals":
        return _("Interval %(n)s: the %(end)s %(value)s has more than 2 decimals.") % {
            "n": n, "end": _end(pr["end"]), "value": pr["value"]}
    if p.code == "empty_interval":
        return _("Interval %(n)s: %(interval)s contains no value (the lower bound must be below the upper bound).") % {
            "n": n, "interval": pr["interval"]}
    if p.code == "score_range":
        return _("Interval %(n)s: the score %(score)s must be between 0 and 100.") % {"n": n, "score": pr["score"]}
    if p.code == "score_decimals":
        return _("Interval %(n)s: the score %(score)s has more than 2 decimals.") % {"n": n, "score": pr["score"]}
    if p.code == "not_ordered":
        if pr["direction"] == "ascending":
            return _("Interval %(n)s: the intervals must be listed in ascending order, but it comes after "
                     "interval %(previous)s with lower values.") % {"n": n, "previous": pr["previous"]}
        return _("Interval %(n)s: the intervals must be listed in descending order, but it comes after "
                 "interval %(previous)s with higher values.") % {"n": n, "previous": pr["previous"]}
    if p.code == "overlap":
        return _("Interval %(n)s: %(interval)s overlaps interval %(other)s %(other_interval)s.") % {
            "n": n, "interval": pr["interval"], "other": pr["other"], "other_interval": pr["other_interval"]}
    if p.code == "gap":
        return _("Interval %(n)s: the values between %(from)s and %(to)s are not covered (gap after "
                 "interval %(other)s).") % {"n": n, "from": pr["from"], "to": pr["to"], "other": pr["other"]}
    if p.code == "gap_point":
        return _("Interval %(n)s: the value %(value)s is in no interval — close the end at %(value)s of this "
                 "interval or of interval %(other)s.") % {"n": n, "value": pr["value"], "other": pr["other"]}
    if p.code == "uncovered_below":
        return _("Interval %(n)s: %(interval)s is the lowest interval, so values below %(value)s are not "
                 "covered; start it at −∞ or declare the lowest possible value.") % {
            "n": n, "interval": pr["interval"], "value": pr["value"]}
    if p.code == "uncovered_above":
        return _("Interval %(n)s: %(interval)s is the highest interval, so values above %(value)s are not "
                 "covered; end it at +∞ or declare the highest possible value.") % {
            "n": n, "interval": pr["interval"], "value": pr["value"]}
    if p.code == "no_full_score":
        return _("The first or the last interval must score 100 (interval 1 or interval %(last)s).") % {
            "last": pr["last"]}
    return p.code  # pragma: no cover


def weight_message(p: Problem, what: str) -> str:
    """``what``: a label of the weighted items, e.g. "atomic indicator"."""
    pr = p.params
    n = p.position
    if p.code == "no_components":
        return _("Choose at least one %(what)s.") % {"what": what}
    if p.code == "weight_not_number":
        return _("Row %(n)s: the weight “%(value)s” is not a number.") % {"n": n, "value": pr["value"]}
    if p.code == "weight_range":
        return _("Row %(n)s: the weight %(weight)s must be greater than 0 and at most 1.") % {
            "n": n, "weight": pr["weight"]}
    if p.code == "weight_decimals":
        return _("Row %(n)s: the weight %(weight)s has more than 2 decimals.") % {"n": n, "weight": pr["weight"]}
    if p.code == "weight_sum":
        return _("The weights add up to %(sum)s; they must add up to exactly 1 (a single %(what)s has weight "
                 "1).") % {"sum": pr["sum"], "what": what}
    return p.code  # pragma: no cover


def rate_message(p: Problem) -> str:
    """A problem of a completion rate with floor and cap (保底/封顶)."""
    pr = p.params
    label = {"full_score": _("Full score"), "floor": _("Floor"), "cap": _("Cap"), "per_unit": _("Points per unit"),
             "minimum": _("Minimum score"), "threshold": _("Threshold"),
             "total": _("Total when vetoed")}.get(pr.get("field"), "")
    if p.code == "rate_not_number":
        return _("%(field)s: “%(value)s” is not a number.") % {"field": label, "value": pr["value"]}
    if p.code == "rate_decimals":
        return _("%(field)s: %(value)s has more than 2 decimals.") % {"field": label, "value": pr["value"]}
    if p.code == "rate_full_range":
        return _("%(field)s: %(value)s must be above 0 and at most 100.") % {"field": label, "value": pr["value"]}
    if p.code == "rate_bound_range":
        if pr.get("field") == "minimum":
            return _("%(field)s: %(value)s must not be below 0.") % {"field": label, "value": pr["value"]}
        return _("%(field)s: %(value)s must be between 0 and 200.") % {"field": label, "value": pr["value"]}
    if p.code == "rate_floor_above_cap":
        return _("Floor: %(floor)s is above the cap %(cap)s.") % {"floor": pr["floor"], "cap": pr["cap"]}
    if p.code == "veto_total_range":
        return _("%(field)s: %(value)s must be between 0 and 100.") % {"field": label, "value": pr["value"]}
    if p.code == "minimum_above_full":
        return _("Minimum score: %(minimum)s is above the full score %(full)s.") % {
            "minimum": pr["minimum"], "full": pr["full"]}
    return p.code
