"""Audit trail: ``kam.audit.register(Model, exclude=[...])`` records every change with before/after."""


def register(model, *, exclude=()):
    from .registry import register as _register

    _register(model, exclude=exclude)
