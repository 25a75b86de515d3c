"""A restricted evaluator for the conditions written in process diagrams (no Django import).

Conditions on gateway flows (e.g. ``amount > 1000 and level == "钻石"``) are parsed with ``ast``
and walked here; Python's ``eval`` is never used. Allowed: literals (numbers, text, True/False/
None, tuples and lists of literals), names taken from the instance data, comparisons (including
``in`` / ``not in``), ``and`` / ``or`` / ``not``, arithmetic (+ - * / // % and unary minus) and
the conditional expression ``a if c else b``. Anything else — attribute access, subscripts,
calls, comprehensions, lambdas, dunder names — is refused with :class:`ExpressionError`.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Mapping
from typing import Any

MAX_LENGTH = 1000


class ExpressionError(ValueError):
    """An expression that is not allowed or cannot be evaluated."""


_BIN = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
}
_CMP = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_, ast.IsNot: operator.is_not,
}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}


def parse(expression: str) -> ast.Expression:
    """Parse and check ``expression``; raise :class:`ExpressionError` naming what is not allowed."""
    if not isinstance(expression, str) or not expression.strip():
        raise ExpressionError("empty expression")
    if len(expression) > MAX_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error: {exc.msg}") from exc
    for node in ast.walk(tree):
        _check(node)
    return tree


def _check(node: ast.AST) -> None:
    allowed = (
        ast.Expression, ast.Constant, ast.Name, ast.Load, ast.Tuple, ast.List, ast.BoolOp, ast.And, ast.Or,
        ast.UnaryOp, ast.BinOp, ast.Compare, ast.IfExp, *_BIN, *_CMP, *_UNARY,
    )
    if not isinstance(node, allowed):
        raise ExpressionError(f"not allowed: {type(node).__name__}")
    if isinstance(node, ast.Name) and node.id.startswith("_"):
        raise ExpressionError(f"not allowed: name {node.id}")
    if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, str, bool, type(None))):
        raise ExpressionError(f"not allowed: constant {node.value!r}")


def evaluate(expression: str, names: Mapping[str, Any]) -> Any:
    """Evaluate ``expression`` with ``names`` (the instance data); refuse anything not allowed."""
    tree = parse(expression)
    return _eval(tree.body, names)


def _eval(node: ast.AST, names: Mapping[str, Any]) -> Any:
    try:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in ("True", "False", "None"):
                return {"True": True, "False": False, "None": None}[node.id]
            if node.id not in names:
                raise ExpressionError(f"unknown name: {node.id}")
            return names[node.id]
        if isinstance(node, (ast.Tuple, ast.List)):
            return tuple(_eval(e, names) for e in node.elts)
        if isinstance(node, ast.BoolOp):
            if isinstance(node.op, ast.And):
                result: Any = True
                for v in node.values:
                    result = _eval(v, names)
                    if not result:
                        return result
                return result
            result = False
            for v in node.values:
                result = _eval(v, names)
                if result:
                    return result
            return result
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](_eval(node.operand, names))
        if isinstance(node, ast.BinOp):
            left, right = _eval(node.left, names), _eval(node.right, names)
            if isinstance(node.op, ast.Mult) and (isinstance(left, (str, tuple)) or isinstance(right, (str, tuple))):
                raise ExpressionError("not allowed: repeating text")
            return _BIN[type(node.op)](left, right)
        if isinstance(node, ast.Compare):
            left = _eval(node.left, names)
            for op, comp in zip(node.ops, node.comparators, strict=True):
                right = _eval(comp, names)
                if not _CMP[type(op)](left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.IfExp):
            return _eval(node.body, names) if _eval(node.test, names) else _eval(node.orelse, names)
    except ExpressionError:
        raise
    except (TypeError, ZeroDivisionError, ValueError, OverflowError) as exc:
        raise ExpressionError(str(exc)) from exc
    raise ExpressionError(f"not allowed: {type(node).__name__}")
