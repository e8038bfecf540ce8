"""The condition language on its own: what parses, what fails and where, what holds."""

from __future__ import annotations

import pytest

from kpiwatch.watch.conditions import ConditionError, Observed, parse

SEEN = Observed(
    status_code=200,
    response_ms=120.0,
    body='{"status": "healthy", "data": {"ok": true, "items": [1, 2, 3]}, "version": "2.4.1"}',
    certificate_expires_ms=4 * 86_400_000,
)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("[STATUS] == 200", None),
        ("[STATUS] != 200", "200"),
        ("[STATUS] == any(201, 204)", "200"),
        ("[STATUS] == pat(2*)", None),
        ("[RESPONSE_TIME] < 500", None),
        ("[RESPONSE_TIME] <= 100", "120.0"),
        ("[BODY].data.ok == true", None),
        ("[BODY].data.items[2] >= 3", None),
        ("len([BODY].data.items) == 3", None),
        ("has([BODY].data.missing) == false", None),
        ("[BODY].version == pat(2.*)", None),
        ("[BODY].status == 'healthy'", None),
        ("[BODY].nothing == 1", "nothing"),
        ("[BODY] == pat(*healthy*)", None),
        ("[CONNECTED] == true", None),
        ("[CERTIFICATE_EXPIRATION] > 72h", None),
        ("[CERTIFICATE_EXPIRATION] > 5d", "345600000"),
    ],
)
def test_it_evaluates_conditions(text: str, found: str | None) -> None:
    failure = parse(text).failure(SEEN)
    if found is None:
        assert failure is None
    else:
        assert failure == f"{text} (found {found})"


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("[STATU] == 200", 1, "unknown placeholder [STATU]"),
        ("[STATUS] 200", 13, "no comparison operator"),
        ("[STATUS] ==", 12, "expected a value after '=='"),
        ("[RESPONSE_TIME] < fast", 19, "< needs numbers; fast is not one"),
        ("[STATUS] > pat(5*)", 12, "pat() works with == and != only"),
        ("200 == 200", 1, "compare a placeholder, not two constants"),
        ("[STATUS].code == 1", 9, "unexpected '.code' after [STATUS]"),
        ("[STATUS] =< 200", 10, "unexpected '=' after [STATUS]"),
        ("[BODY]data == 1", 7, "a JSON path after [BODY] starts with '.' or '['"),
        ("pat(2*) == [STATUS]", 1, "pat() belongs on the right of == or !="),
        ("[STATUS] == [STATU]", 13, "unknown placeholder [STATU]"),
    ],
)
def test_it_reports_the_column_of_a_bad_condition(text: str, column: int, message: str) -> None:
    with pytest.raises(ConditionError) as caught:
        parse(text)
    assert caught.value.column == column
    assert caught.value.message.startswith(message)
