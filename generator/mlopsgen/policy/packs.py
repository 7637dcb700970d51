"""Policy packs: YAML files validated by their own schema, resolved into one Policy.

A pack selects and ignores rules, overrides severities, sets options, locks rules and
sets a fail threshold; ``extends`` applies other packs first. Packs are resolved in
order, parents first; a locked rule cannot be ignored, downgraded or re-optioned by a
later pack (each attempt becomes a ``GOV-002`` finding, and the lock holds), and the
strictest ``fail_on`` of all packs wins.
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from mlopsgen import yamlio
from mlopsgen.diagnostics import Diagnostic, Location, Severity
from mlopsgen.errors import UserError
from mlopsgen.policy.base import Target, matches
from mlopsgen.policy.rules import RULES
from mlopsgen.resources import builtin_packs, find_pack

__all__ = [
    "DEFAULT_PACKS",
    "PackError",
    "Policy",
    "RuleConfig",
    "available_packs",
    "load_policy",
    "pack_schema",
]

DEFAULT_PACKS = ("baseline",)
_DEFAULT_FAIL_ON = Severity.HIGH


class PackError(UserError):
    """A policy pack that cannot be used; carries one diagnostic per problem."""

    def __init__(self, diagnostics: Sequence[Diagnostic], *, path: Path | None = None):
        count = len(diagnostics)
        super().__init__(
            f"invalid policy pack: {count} problem{'s' if count != 1 else ''}", path=path
        )
        self.diagnostics = tuple(diagnostics)

    def __str__(self) -> str:
        lines = [d.format() for d in self.diagnostics]
        return "\n".join([*lines, super().__str__()])


@dataclass(frozen=True)
class RuleConfig:
    """How one rule runs under a policy."""

    enabled: bool
    severity: Severity
    options: Mapping[str, Any]
    #: The pack that locked the rule, if one did.
    locked_by: str | None = None


@dataclass(frozen=True)
class Policy:
    """The resolved packs: per-rule settings, the fail threshold, and refused weakenings."""

    packs: tuple[str, ...]
    rules: Mapping[str, RuleConfig]
    fail_on: Severity
    #: GOV-002 findings: attempts by later packs to weaken a locked rule.
    problems: tuple[Diagnostic, ...] = field(default=())


@functools.cache
def pack_schema() -> dict[str, Any]:
    """The JSON Schema of a policy pack."""
    text = resources.files("mlopsgen.policy").joinpath("pack.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def available_packs() -> list[str]:
    """Names of the built-in packs."""
    return builtin_packs()


def _diag(
    file: str,
    doc: yamlio.LoadedYaml | None,
    path: yamlio.JsonPath,
    message: str,
    hint: str | None = None,
) -> Diagnostic:
    mark = doc.mark(path, key=True) if doc is not None else None
    return Diagnostic(
        "PACK",
        Severity.ERROR,
        message,
        Location(
            file,
            mark.line if mark else None,
            mark.column if mark else None,
            yamlio.format_path(path),
        ),
        hint=hint,
    )


def _schema_problems(data: Any, doc: yamlio.LoadedYaml, file: str) -> list[Diagnostic]:
    import jsonschema  # noqa: PLC0415  # deferred: 0.14 s of start-up, only for packs
    from jsonschema.exceptions import best_match  # noqa: PLC0415

    validator = jsonschema.Draft202012Validator(pack_schema())
    out = []
    for raw in validator.iter_errors(data):
        error = best_match(raw.context) if raw.context else raw
        path = tuple(error.absolute_path)
        hint = None
        if error.validator == "additionalProperties":
            extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            close = difflib.get_close_matches(extra[0], list(error.schema["properties"]), 1)
            hint = f"did you mean {close[0]!r}?" if extra and close else None
            if extra:
                path = (*path, extra[0])
        elif error.validator == "pattern":
            hint = error.schema.get("x-hint")
        out.append(_diag(file, doc, path, error.message, hint))
    return out


def _check_rules(pack: dict[str, Any], doc: yamlio.LoadedYaml, file: str) -> list[Diagnostic]:
    out = []
    for key in ("select", "ignore"):
        for i, pattern in enumerate(pack.get(key, [])):
            if pattern != "ALL" and not any(matches(r, [pattern]) for r in RULES):
                out.append(_diag(file, doc, (key, i), f"{pattern!r} matches no rule"))
    for rule_id, settings in pack.get("rules", {}).items():
        rule = RULES.get(rule_id)
        if rule is None:
            close = difflib.get_close_matches(rule_id, list(RULES), 1)
            out.append(
                _diag(
                    file,
                    doc,
                    ("rules", rule_id),
                    f"no rule {rule_id}",
                    f"did you mean {close[0]}?" if close else "see `mlopsgen rules`",
                )
            )
            continue
        declared = {o.name: o for o in rule.options}
        for name, value in settings.get("options", {}).items():
            option = declared.get(name)
            path = ("rules", rule_id, "options", name)
            if option is None:
                names = ", ".join(declared) or "none"
                out.append(
                    _diag(
                        file, doc, path, f'{rule_id} has no option "{name}" (its options: {names})'
                    )
                )
            elif not option.type.accepts(value):
                out.append(
                    _diag(
                        file,
                        doc,
                        path,
                        f'option "{name}" of "{rule_id}" should be {option.type.value}',
                    )
                )
    return out


def _load_pack(name: str, search: Sequence[Path]) -> tuple[dict[str, Any], Path]:
    path = find_pack(name, search)
    if path is None:
        close = difflib.get_close_matches(name, available_packs(), 1)
        raise UserError(
            f"no policy pack {name!r}",
            hint=f"did you mean {close[0]!r}?"
            if close
            else f"built-in packs: {', '.join(available_packs())}; or pass a path to a YAML file",
        )
    file = str(path)
    try:
        doc = yamlio.load(path.read_text(encoding="utf-8"), filename=file)
    except yamlio.YamlLoadError as exc:
        raise PackError(exc.diagnostics, path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read the pack: {exc}", path=path) from None
    data = doc.data
    problems = _schema_problems(data, doc, file)
    if not problems:
        problems = _check_rules(data, doc, file)
        if data["name"] != path.stem:
            problems.append(
                _diag(
                    file,
                    doc,
                    ("name",),
                    f"the pack is named {data['name']!r} but its file is {path.name}",
                    "rename one of them",
                )
            )
    if problems:
        raise PackError(problems, path=path)
    return data, path


def _linearise(names: Sequence[str], search: Sequence[Path]) -> list[tuple[dict[str, Any], Path]]:
    out: list[tuple[dict[str, Any], Path]] = []
    done: set[str] = set()

    def visit(name: str, chain: tuple[str, ...]) -> None:
        if name in chain:
            raise UserError(
                f"policy packs extend each other in a cycle: {' -> '.join((*chain, name))}"
            )
        pack, path = _load_pack(name, search)
        key = str(path.resolve())
        if key in done:
            return
        parents = pack.get("extends", [])
        for parent in [parents] if isinstance(parents, str) else parents:
            visit(parent, (*chain, name))
        done.add(key)
        out.append((pack, path))

    for name in names:
        visit(name, ())
    return out


def load_policy(names: Sequence[str] = DEFAULT_PACKS, *, search: Sequence[Path] = ()) -> Policy:
    """Load, validate and resolve packs (built-in names, names found in ``search``, or paths).

    Raises:
        UserError: an unknown pack or an extends cycle.
        PackError: a pack that breaks its schema, names unknown rules or has bad options.
    """
    enabled: dict[str, bool] = {r: RULES[r].target is Target.ENGINE for r in RULES}
    severity: dict[str, Severity] = {r: RULES[r].severity for r in RULES}
    options: dict[str, dict[str, Any]] = {r: RULES[r].defaults() for r in RULES}
    locked: dict[str, str] = {}
    fail_on: Severity | None = None
    problems: list[Diagnostic] = []
    chain = _linearise(names, search)
    for pack, path in chain:
        file, name = str(path), pack["name"]

        def refuse(rule_id: str, what: str, *, _file: str = file, _name: str = name) -> None:
            problems.append(
                Diagnostic(
                    "GOV-002",
                    RULES["GOV-002"].severity,
                    f"pack {_name!r} tries to {what} {rule_id}, which pack "
                    f"{locked[rule_id]!r} locked; the lock holds",
                    Location(_file),
                )
            )

        for rule_id in RULES:
            if matches(rule_id, pack.get("select", [])):
                enabled[rule_id] = True
            if matches(rule_id, pack.get("ignore", [])):
                if rule_id in locked:
                    refuse(rule_id, "ignore")
                else:
                    enabled[rule_id] = False
        for rule_id, settings in pack.get("rules", {}).items():
            if "severity" in settings:
                new = Severity(settings["severity"])
                if rule_id in locked and new.rank < severity[rule_id].rank:
                    refuse(rule_id, f"lower to {new.value}")
                else:
                    severity[rule_id] = new
            if settings.get("options"):
                if rule_id in locked:
                    refuse(rule_id, "change the options of")
                else:
                    options[rule_id] = {**options[rule_id], **settings["options"]}
            if settings.get("locked"):
                locked.setdefault(rule_id, name)
                enabled[rule_id] = True
        if "fail_on" in pack:
            level = Severity(pack["fail_on"])
            fail_on = level if fail_on is None or level.rank < fail_on.rank else fail_on
    return Policy(
        packs=tuple(p["name"] for p, _ in chain),
        rules={r: RuleConfig(enabled[r], severity[r], options[r], locked.get(r)) for r in RULES},
        fail_on=fail_on or _DEFAULT_FAIL_ON,
        problems=tuple(problems),
    )
