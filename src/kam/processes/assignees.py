"""Who gets a step (工作派发): resolvers from a node's ``approver`` configuration to users.

A node's configuration (``ProcessVersion.node_config[node_id]``)::

    {"approver": {"kind": "role", "role": "reviewer_city", "org": "city"},
     "mode": "any",                  # sequential 依次 | all 会签 | any 或签
     "no_approver": "admin",         # auto_pass 自动通过 | admin 转交管理员
     "time_limit_hours": 24, "remind_every_hours": 4,
     "escalate_to": {"kind": "superior"},   # optional; default: the assignee's direct superior
     "dispatch": "all",              # all 每人一份 | pool 待领取 | round_robin 轮询 | least_loaded 最少待办
     "actions": ["approve", "reject", "send_back", ...],   # allowed actions; default: all of ACTIONS
     "fields": [{"name": "satisfied", "type": "choice", ...}]}   # step data (see ``stepdata``)

With ``dispatch`` other than ``all`` the step has one task: ``pool`` leaves it unassigned for the
resolved users (the candidates) to claim; ``round_robin`` gives it to the next candidate in turn
(a persistent cursor per version and step); ``least_loaded`` to the candidate with the fewest open
tasks.

Approver kinds (``kind``): ``user`` (``users``: account numbers), ``superior`` (``level``: 1 = the
direct superior, n = the n-th level above), ``dept_head`` (head of the applicant's org unit, or of
the nearest unit above that has one), ``role`` (``role``: role code; ``org``: ``unit`` the
applicant's unit, ``county`` / ``city`` / ``province`` the subtree of the applicant's region at
that level, ``all`` anywhere), ``chosen`` (account numbers the submitter chose, from the instance
data key ``approvers`` → ``{node_id: [...]}``), ``starter`` (the applicant).
A ``role`` spec may also name ``business_line``: the instance data key holding a business-line code;
only users of a unit bound to that business line (or below one) are asked (e.g. 市局专业局预审 of the
application's own business line); without a value in the data nobody is. ``any_of`` (``of``: a list
of specs) asks everyone any of them names, in order (e.g. the county's pre-reviewers and the city's
reviewers, who may take an application straight).

Resolvers only read org data; ``base`` is the person the relation starts from (the applicant, or
the current assignee when escalating).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from kam.org.models import OrgUnit, User

from . import stepdata

KINDS = ("user", "superior", "dept_head", "role", "chosen", "starter", "any_of")
ORG_RELATIONS = ("unit", "county", "city", "province", "all")
MODES = ("sequential", "all", "any")
NO_APPROVER = ("auto_pass", "admin")
DISPATCH = ("all", "pool", "round_robin", "least_loaded")
# Task actions a step may allow (同意 驳回 退回 转办 委派 加签 减签 抄送); 撤回 and 催办 belong to the submitter.
ACTIONS = ("approve", "reject", "send_back", "transfer", "delegate", "add_signer", "remove_signer", "cc")


def allowed_actions(cfg: dict) -> tuple[str, ...]:
    """The actions a step allows (all when its configuration does not say)."""
    actions = cfg.get("actions")
    return ACTIONS if actions is None else tuple(a for a in ACTIONS if a in actions)


def _active(qs):
    return qs.filter(is_active=True).order_by("username")


def _superior(base: User, spec: dict) -> list[User]:
    level = int(spec.get("level") or 1)
    user: User | None = base
    for _i in range(level):
        user = user.superior if user else None
    return [user] if user and user.is_active else []


def _dept_head(base: User, spec: dict) -> list[User]:
    unit = base.org_unit
    if unit is None:
        return []
    for u in sorted(unit.ancestors(), key=lambda u: -u.depth):
        if u.head_id and u.head_id != base.pk and u.head.is_active:
            return [u.head]
    return []


def _role(base: User, spec: dict, data: dict | None = None) -> list[User]:
    qs = User.objects.filter(roles__code=spec.get("role"), roles__enabled=True)
    if spec.get("business_line"):
        line = (data or {}).get(spec["business_line"])
        units = list(OrgUnit.objects.filter(business_line__code=line).values_list("path", flat=True)) if line else []
        if not units:
            return []
        in_line = Q()
        for path in units:
            in_line |= Q(org_unit__path__startswith=path)
        qs = qs.filter(in_line)
    relation = spec.get("org") or "all"
    unit = base.org_unit
    if relation != "all":
        if unit is None:
            return []
        if relation == "unit":
            qs = qs.filter(org_unit=unit)
        else:
            region: OrgUnit | None = unit.region_unit(relation)
            if region is None:
                return []
            qs = qs.filter(org_unit__path__startswith=region.path)
    return list(_active(qs.distinct()))


def _users(names: list[str]) -> list[User]:
    found = {u.username: u for u in _active(User.objects.filter(username__in=names))}
    return [found[n] for n in names if n in found]


def resolve(spec: dict | None, *, base: User, node_id: str = "", data: dict | None = None) -> list[User]:
    """The users an approver ``spec`` names, in order; empty when nobody fits."""
    spec = spec or {}
    kind = spec.get("kind")
    if kind == "user":
        return _users(list(spec.get("users") or []))
    if kind == "superior":
        return _superior(base, spec)
    if kind == "dept_head":
        return _dept_head(base, spec)
    if kind == "role":
        return _role(base, spec, data)
    if kind == "any_of":
        found: dict[int, User] = {}
        for sub in spec.get("of") or []:
            for user in resolve(sub, base=base, node_id=node_id, data=data):
                found.setdefault(user.pk, user)
        return list(found.values())
    if kind == "chosen":
        chosen = ((data or {}).get("approvers") or {}).get(node_id) or []
        return _users([str(n) for n in chosen])
    if kind == "starter":
        return [base]
    return []


def administrators() -> list[User]:
    return list(_active(User.objects.filter(Q(is_superuser=True) | Q(roles__code="admin")).distinct()))


def _service_problems(node_id: str, cfg: dict) -> list[str]:
    """A service task's configuration: a registered ``connector`` (+ ``params``) or a ``webhook``."""
    from .connectors import CONNECTORS

    connector, hook = cfg.get("connector"), cfg.get("webhook")
    if bool(connector) == bool(hook):
        return [_("Step %(node)s: a service task needs either a connector or a webhook.") % {"node": node_id}]
    if connector:
        if connector not in CONNECTORS:
            return [_("Step %(node)s: unknown connector %(code)s.") % {"node": node_id, "code": connector}]
        if not isinstance(cfg.get("params", {}), dict):
            return [_("Step %(node)s: connector parameters must be an object.") % {"node": node_id}]
        return []
    if not isinstance(hook, dict) or not str(hook.get("url") or "").startswith(("http://", "https://")):
        return [_("Step %(node)s: the webhook needs an http(s) URL.") % {"node": node_id}]
    timeout, retries = hook.get("timeout_seconds", 5), hook.get("retries", 3)
    if (not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not 0 < timeout <= 60
            or not isinstance(retries, int) or isinstance(retries, bool) or not 1 <= retries <= 10):
        return [_("Step %(node)s: the webhook timeout must be 1–60 seconds and retries 1–10.") % {"node": node_id}]
    return []


def validate_node_config(node_config: Any, node_ids: list[str], service_ids: Any = ()) -> list[str]:
    """Problems of a version's node configuration (translated messages); empty when fine.
    ``node_ids`` are the user tasks, ``service_ids`` the service tasks (connector / webhook)."""
    if not isinstance(node_config, dict):
        return [_("The node configuration must be an object keyed by step id.")]
    problems = []
    for node_id in service_ids:
        if node_id not in node_config:
            problems.append(_("Step %(node)s: a service task needs either a connector or a webhook.")
                            % {"node": node_id})
    for node_id, cfg in node_config.items():
        if node_id in service_ids:
            problems += _service_problems(node_id, cfg) if isinstance(cfg, dict) else [
                _("Step %(node)s: the configuration must be an object.") % {"node": node_id}]
            continue
        if node_id not in node_ids:
            problems.append(_("Step %(node)s is not a user task of the diagram.") % {"node": node_id})
            continue
        if not isinstance(cfg, dict):
            problems.append(_("Step %(node)s: the configuration must be an object.") % {"node": node_id})
            continue
        cc = cfg.get("cc")
        if cc is not None and (not isinstance(cc, list) or any(
                not isinstance(c, dict) or c.get("kind") not in KINDS for c in cc)):
            problems.append(_("Step %(node)s: cc must be a list of approver specifications.") % {"node": node_id})
        for key in ("approver", "escalate_to"):
            spec = cfg.get(key)
            if spec is None and key == "escalate_to":
                continue
            if not isinstance(spec, dict) or spec.get("kind") not in KINDS:
                problems.append(_("Step %(node)s: unknown approver kind.") % {"node": node_id})
            elif spec.get("kind") == "role" and (
                    not spec.get("role") or (spec.get("org") or "all") not in ORG_RELATIONS):
                problems.append(_("Step %(node)s: a role approver needs a role and an org relation.")
                                % {"node": node_id})
            elif spec.get("kind") == "any_of" and (not isinstance(spec.get("of"), list) or not spec["of"] or any(
                    not isinstance(sub, dict) or sub.get("kind") not in KINDS or sub.get("kind") == "any_of"
                    for sub in spec["of"])):
                problems.append(_("Step %(node)s: unknown approver kind.") % {"node": node_id})
            elif spec.get("kind") == "user" and not spec.get("users"):
                problems.append(_("Step %(node)s: name at least one user.") % {"node": node_id})
        if cfg.get("mode", "any") not in MODES:
            problems.append(_("Step %(node)s: unknown multi-approver mode.") % {"node": node_id})
        if cfg.get("no_approver", "admin") not in NO_APPROVER:
            problems.append(_("Step %(node)s: unknown no-approver policy.") % {"node": node_id})
        if cfg.get("dispatch", "all") not in DISPATCH:
            problems.append(_("Step %(node)s: unknown dispatch rule.") % {"node": node_id})
        actions = cfg.get("actions")
        if actions is not None and (not isinstance(actions, list) or any(a not in ACTIONS for a in actions)):
            problems.append(_("Step %(node)s: allowed actions must be a list of %(actions)s.")
                            % {"node": node_id, "actions": ", ".join(ACTIONS)})
        elif actions is not None and "approve" not in actions:
            problems.append(_("Step %(node)s: the step must allow approving.") % {"node": node_id})
        problems += stepdata.config_problems(node_id, cfg.get("fields"), list(node_ids))
        for key in ("time_limit_hours", "remind_every_hours"):
            value = cfg.get(key)
            if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0):
                problems.append(_("Step %(node)s: %(field)s must be a positive number of hours.")
                                % {"node": node_id, "field": key})
    return problems

