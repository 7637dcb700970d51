"""Cron expressions every CI platform runs: five fields, standard syntax, values in range.

GitHub Actions (``on.schedule``), GitLab pipeline schedules and Azure Pipelines
(``schedules:``) all take the five POSIX fields (minute hour day-of-month month
day-of-week) with ``*``, ``,``, ``-`` and ``/``, plus month and weekday names. None takes a
seconds field, ``@reboot`` or the other ``@`` macros on all three, nor Quartz's ``L``, ``W``,
``#`` and ``?`` (croniter accepts those, so the syntax is checked first); croniter then
checks each field's values and ranges.
"""

from __future__ import annotations

import re

from croniter import croniter

__all__ = ["CRON_EXAMPLE", "cron_problem"]

CRON_EXAMPLE = "0 3 * * *"
_FIELDS = ("minute", "hour", "day-of-month", "month", "day-of-week")
_RANGES = ("0-59", "0-23", "1-31", "1-12 or JAN-DEC", "0-6 or SUN-SAT")
_NUMERIC = re.compile(r"[0-9*,/-]+")
_NAMED = {
    3: re.compile(r"(?i)([0-9*,/-]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)+"),
    4: re.compile(r"(?i)([0-9*,/-]|SUN|MON|TUE|WED|THU|FRI|SAT)+"),
}
_FORMAT = "five fields: minute hour day-of-month month day-of-week"


def cron_problem(expression: str) -> tuple[str, str] | None:
    """What is wrong with a cron expression, as ``(message, hint)``; None when it is valid."""
    shown = expression if len(expression) <= 40 else expression[:37] + "..."
    fields = expression.split()
    if expression.strip().startswith("@"):
        return (
            f"{shown!r}: cron macros ({fields[0]}) are not accepted by every CI platform",
            f'write the {_FORMAT}, e.g. @daily is "0 0 * * *"',
        )
    if len(fields) != 5:
        extra = " (a seconds field?)" if len(fields) == 6 else ""
        return (
            f"{shown!r} has {len(fields)} field(s){extra}; a CI schedule has five",
            f"write the {_FORMAT}, e.g. {CRON_EXAMPLE!r}",
        )
    for i, token in enumerate(fields):
        name = _FIELDS[i]
        if not _NAMED.get(i, _NUMERIC).fullmatch(token):
            return (
                f"{shown!r}: the {name} field {token!r} is not cron syntax",
                f"use numbers ({_RANGES[i]}), '*', lists 'a,b', ranges 'a-b' and steps '/n'",
            )
        alone = " ".join(token if j == i else "*" for j in range(5))
        if not croniter.is_valid(alone):
            return (
                f"{shown!r}: the {name} field {token!r} is out of range or malformed",
                f"{name} values are {_RANGES[i]}",
            )
    if not croniter.is_valid(expression):
        return (f"{shown!r} is not a valid cron expression", f"e.g. {CRON_EXAMPLE!r}")
    return None
