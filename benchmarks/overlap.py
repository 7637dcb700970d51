"""Measure how much of zizmor's and checkov's findings mlopsgen audit finds on the corpus.

For every rule the tools share (by the catalogue's cross-references), compare the sets of
files (and of jobs, where both tools say which job) that each flags. Inputs are the
tools' JSON outputs, produced beforehand (zizmor is a PyPI wheel; checkov goes in a venv
of its own, ``python3 -m venv /tmp/ckv && /tmp/ckv/bin/pip install checkov``):

    # zizmor 1.32, one call per file (one schema-invalid file aborts a whole call)
    mkdir -p zz && ls ../shared/corpus/github/*.yml | xargs -P2 -I{} sh -c \
      'zizmor --offline --format json --no-progress --quiet "{}" > "zz/$(basename {}).json"'
    # checkov 3.2, needs .github/workflows/, .gitlab-ci.yml and azure-pipelines.yml names:
    # ck/gh/.github/workflows/<file>, ck/gl/<stem>/.gitlab-ci.yml, ck/az/<stem>/azure-pipelines.yml
    checkov -d ck/gh --framework github_actions -o json --quiet --compact > ck/gh.json
    checkov -d ck/gl --framework gitlab_ci -o json --quiet --compact > ck/gl.json
    checkov -d ck/az --framework azure_pipelines -o json --quiet --compact > ck/az.json
    python benchmarks/overlap.py --zizmor zz --checkov ck/gh.json ck/gl.json ck/az.json

Per rule it prints the files the other tool flags, the files mlopsgen flags, both, the
recall (the share of theirs that mlopsgen also flags) and the files only mlopsgen flags.
Then the same recall without the other tool's findings that mlopsgen deliberately does not
report; each such difference is named here with its reason, which the rule's docstring
documents (``--why`` lists the files behind each).
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mlopsgen.policy import AuditSettings, audit
from mlopsgen.policy.rules.art import CACHE_AWARE

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"

ZIZMOR = {
    "unpinned-uses": ["PIN-001"],
    "artipacked": ["ART-001"],
    "excessive-permissions": ["PERM-001", "PERM-002", "PERM-003"],
    "template-injection": ["INJ-001", "INJ-002"],
    "unpinned-images": ["PIN-007"],
    "cache-poisoning": ["ART-002"],
    "dangerous-triggers": ["TRIG-001"],
    "use-trusted-publishing": ["REL-001"],
    "secrets-inherit": ["SEC-003"],
    "unsound-condition": ["INJ-007"],
    "overprovisioned-secrets": ["SEC-004"],
    "github-env": ["INJ-005"],
    "hardcoded-container-credentials": ["SEC-001"],
    "insecure-commands": ["INJ-006"],
}
CHECKOV = {
    "CKV_GHA_1": ["INJ-006"],
    "CKV_GHA_2": ["INJ-001"],
    "CKV_GHA_3": ["SEC-008"],
    "CKV_GHA_7": ["TRIG-007"],
    "CKV2_GHA_1": ["PERM-001", "PERM-002"],
    "CKV_GITLABCI_1": ["SEC-008"],
    "CKV_GITLABCI_2": ["TRIG-005"],
    "CKV_AZUREPIPELINES_1": ["PIN-007"],
    "CKV_AZUREPIPELINES_2": ["PIN-007"],
}


@dataclass(frozen=True)
class Theirs:
    """One finding of the other tool: where, and what it is about."""

    file: str
    job: str = ""
    #: zizmor's severity, or "" for checkov.
    severity: str = ""
    #: What the finding points at: a context, a `uses:` line, a resource.
    detail: str = ""
    #: For zizmor: the workflow-level location's annotation (why it is a release).
    trigger: str = ""


def _platform(ident: str) -> str:
    if ident.startswith("CKV_GITLABCI"):
        return "gitlab"
    if ident.startswith("CKV_AZUREPIPELINES"):
        return "azure"
    return "github"


_JOB = re.compile(r"^jobs\.([^.\[]+)")


def ours(rules: set[str]) -> dict[str, set[tuple[str, str]]]:
    """Our findings per rule as (file name, job id or '')."""
    out: dict[str, set[tuple[str, str]]] = defaultdict(set)
    settings = AuditSettings(packs=("strict",), select=tuple(sorted(rules)))
    for report in audit([CORPUS], settings):
        for r in report.results:
            match = _JOB.match(r.location.json_path)
            out[r.rule].add((Path(r.location.file).name, match.group(1) if match else ""))
    return out


def zizmor(folder: Path) -> dict[str, list[Theirs]]:
    """zizmor's findings per audit."""
    out: dict[str, list[Theirs]] = defaultdict(list)
    for path in folder.glob("*.json"):
        try:
            findings = json.loads(path.read_text())
        except json.JSONDecodeError:
            continue  # zizmor refused the file (schema-invalid)
        for f in findings:
            route = f["locations"][0]["symbolic"]["route"]["route"]
            job = route[1]["Key"] if len(route) > 1 and route[0].get("Key") == "jobs" else ""
            detail = trigger = ""
            for loc in f["locations"]:
                symbolic = loc["symbolic"]
                kind = symbolic["feature_kind"]
                if symbolic["kind"] == "Primary":
                    fragment = kind["Subfeature"]["fragment"] if isinstance(kind, dict) else None
                    if isinstance(fragment, dict):
                        detail = fragment.get("Raw") or fragment.get("Regex") or ""
                    else:
                        detail = loc.get("concrete", {}).get("feature", "")
                elif symbolic["route"]["route"][:1] == [{"Key": "on"}]:
                    trigger = symbolic["annotation"]
            out[f["ident"]].append(
                Theirs(
                    path.name.removesuffix(".json"),
                    job,
                    f["determinations"]["severity"],
                    detail,
                    trigger,
                )
            )
    return out


def checkov(files: list[Path]) -> dict[str, list[Theirs]]:
    """checkov's failed checks per check id."""
    out: dict[str, list[Theirs]] = defaultdict(list)
    for path in files:
        doc = json.loads(path.read_text())
        for run in doc if isinstance(doc, list) else [doc]:
            for f in run.get("results", {}).get("failed_checks", []):
                parts = Path(f["file_path"]).parts
                name = parts[-1] if parts[-2] == "workflows" else f"{parts[-2]}.yml"
                out[f["check_id"]].append(Theirs(name, detail=f.get("resource") or ""))
    return out


# --- deliberate differences ---------------------------------------------------------------

_LOADED: dict[str, Any] = {}


def _load(ident: str, name: str) -> Any:
    key = f"{_platform(ident)}/{name}"
    if key not in _LOADED:
        try:
            _LOADED[key] = yaml.load((CORPUS / key).read_text(), Loader=yaml.CSafeLoader)
        except yaml.YAMLError:
            _LOADED[key] = None
    return _LOADED[key]


#: Contexts only people with write (or triage) access choose, or that cannot hold shell
#: syntax (INJ-001's docstring).
_TRUSTED_CONTEXT = re.compile(
    r"^github\.(?:ref|ref_name|ref_type|base_ref|workflow|workspace|event_path|action_path|"
    r"actor|triggering_actor|events?|sha|run_id|run_number|repository|repository_owner|job)$|"
    r"^github\.event\.(?:action|repository\..*|release\.tag_name|label\.name|"
    r".*\.(?:login|sha|head_sha|created_at|updated_at|html_url|id|number))$"
)


def _template_injection(t: Theirs, ident: str) -> str | None:
    if t.severity != "High":
        return "zizmor rates it below high: env, matrix and step outputs the workflow computes"
    if _TRUSTED_CONTEXT.match(t.detail):
        return "a context that only writers choose or with a fixed character set"
    if "parallel" in str(_load(ident, t.file)):
        return "`parallel:` steps, a syntax GitHub Actions does not have"
    return None


_USES = re.compile(r"uses:\s*([\w./-]+)@v?(\d+)")
#: The first major version whose default caches, from ART-002's table.
_CACHES_SINCE = {name: max(c.since for c in controls) for name, controls in CACHE_AWARE.items()}


def _cache_poisoning(t: Theirs, ident: str) -> str | None:
    uses = _USES.search(t.detail)
    if uses and int(uses.group(2)) < _CACHES_SINCE.get(uses.group(1), 0):
        return "an action version that does not cache by default"
    on = (_load(ident, t.file) or {}).get(True) or {}
    push = on.get("push") if isinstance(on, dict) else None
    if (
        t.trigger
        and isinstance(push, dict)
        and "tags-ignore" in push
        and "tags" not in push
        and "release" not in on
    ):
        return "zizmor reads `tags-ignore:` as a tag trigger"
    return None


def _every_job_sets_permissions(t: Theirs, ident: str) -> str | None:
    doc = _load(ident, t.file) or {}
    jobs = doc.get("jobs") if isinstance(doc, dict) else None
    if (
        isinstance(jobs, dict)
        and "permissions" not in doc
        and all(isinstance(j, dict) and "permissions" in j for j in jobs.values())
    ):
        return "every job sets its permissions: the default scope reaches no job (zizmor agrees)"
    return None


def _merge_keys(t: Theirs, ident: str) -> str | None:
    doc = _load(ident, t.file) or {}
    job = t.detail.removesuffix(".rules")
    entry = doc.get(job) if isinstance(doc, dict) else None
    rules = entry.get("rules") if isinstance(entry, dict) else None
    if isinstance(rules, list) and rules and all(isinstance(r, dict) and "if" in r for r in rules):
        return "every rule has an `if:` once YAML merge keys are read; checkov does not read them"
    return None


DIFFERENCES: dict[str, Callable[[Theirs, str], str | None]] = {
    "template-injection": _template_injection,
    "cache-poisoning": _cache_poisoning,
    "CKV2_GHA_1": _every_job_sets_permissions,
    "CKV_GITLABCI_2": _merge_keys,
}


def compare(
    tool: str,
    theirs: dict[str, list[Theirs]],
    mapping: dict[str, list[str]],
    mine: dict[str, set[tuple[str, str]]],
    *,
    why: bool = False,
) -> None:
    print(
        f"\n{tool}: rule -> ours | files theirs / ours / both / recall / ours only | "
        "without deliberate differences: theirs / both / recall | jobs theirs / both"
    )
    for ident, rules in mapping.items():
        t = theirs.get(ident, [])
        names = {p.name for p in (CORPUS / _platform(ident)).glob("*.yml")}
        m = {x for r in rules for x in mine.get(r, set()) if x[0] in names}
        tf, mf = {x.file for x in t}, {f for f, _ in m}
        both = tf & mf
        recall = f"{100 * len(both) / len(tf):.0f}%" if tf else "-"
        tj = {(x.file, x.job) for x in t if x.job}
        jobs = f"{len(tj)} / {len(tj & m)}" if tj else "-"
        differs = DIFFERENCES.get(ident)
        reasons: dict[str, str] = {}
        if differs is not None:
            for x in t:
                reason = differs(x, ident)
                if reason is None:
                    reasons[x.file] = ""  # one comparable finding keeps the file comparable
                else:
                    reasons.setdefault(x.file, reason)
        comparable = {f for f in tf if not reasons.get(f)}
        if differs is None:
            adjusted = "     -     -     -"
        else:
            rate = 100 * len(comparable & mf) / len(comparable) if comparable else 100
            adjusted = f"{len(comparable):5} {len(comparable & mf):5} {rate:4.0f}%"
        print(
            f"  {ident:32} {'+'.join(rules):26} {len(tf):5} {len(mf):5} {len(both):5} "
            f"{recall:>5} {len(mf - tf):5} | {adjusted} | {jobs}"
        )
        if why:
            counts = Counter(reasons[f] for f in tf - mf if reasons.get(f))
            for reason, n in counts.most_common():
                print(f"      {n:4} not counted: {reason}")
            for f in sorted(comparable - mf):
                print(f"      missed: {f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--zizmor", type=Path)
    parser.add_argument("--checkov", type=Path, nargs="*", default=[])
    parser.add_argument("--why", action="store_true", help="list differences and misses")
    args = parser.parse_args()
    wanted = {r for rules in (*ZIZMOR.values(), *CHECKOV.values()) for r in rules}
    mine = ours(wanted)
    if args.zizmor:
        compare("zizmor", zizmor(args.zizmor), ZIZMOR, mine, why=args.why)
    if args.checkov:
        compare("checkov", checkov(args.checkov), CHECKOV, mine, why=args.why)


if __name__ == "__main__":
    main()
