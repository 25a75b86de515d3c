"""The restricted evaluator of diagram conditions (R-PROC: expressions never run raw eval)."""

import pytest

from kam.processes.expressions import ExpressionError, evaluate, parse


@pytest.mark.parametrize(("expr", "expected"), [
    ("amount > 1000", True),
    ("amount > 1000 and level == '钻石'", True),
    ("not (amount < 10) or False", True),
    ("amount * 2 + 1 - 3 // 2 % 5", 4000),
    ("level in ('钻石', '金')", True),
    ("source not in ['county']", True),
    ("1 < amount <= 2000", True),
    ("'yes' if amount > 5000 else 'no'", "no"),
    ("-amount", -2000),
    ("missing is None", None),
])
def test_allowed_expressions(expr, expected):
    names = {"amount": 2000, "level": "钻石", "source": "city"}
    if expr == "missing is None":
        with pytest.raises(ExpressionError, match="unknown name"):
            evaluate(expr, names)
        return
    assert evaluate(expr, names) == expected


@pytest.mark.parametrize("expr", [
    "__import__('os')",
    "__import__('os').system('true')",
    "amount.__class__",
    "level.upper()",
    "().__class__.__bases__[0]",
    "open('/etc/passwd')",
    "[x for x in range(3)]",
    "lambda: 1",
    "data['amount']",
    "__builtins__",
    "'a' * 10**9",
    "amount := 1",
])
def test_refused_expressions(expr):
    with pytest.raises(ExpressionError):
        evaluate(expr, {"amount": 1, "level": "x", "data": {"amount": 1}})


def test_syntax_error_is_a_clear_message():
    with pytest.raises(ExpressionError, match="syntax error"):
        parse("amount >")
