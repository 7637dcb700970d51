"""Measure how much of zizmor's and checkov's findings mlopsgen audit finds on the corpus.

For every rule the tools share (by the catalogue's cross-references), compare the sets of
files (and of jobs, where both tools say which job) that each flags. Inputs are the
tools' JSON outputs, produced beforehand:

    # zizmor 1.32, one call per file (one schema-invalid file aborts a whole call)
    ls ../shared/corpus/github/*.yml | xargs -P2 -I{} sh -c \
      'zizmor --offline --format json --no-progress --quiet "{}" > "zz/$(basename {}).json"'
    # checkov 3.3, needs .github/workflows/, .gitlab-ci.yml and azure-pipelines.yml names
    checkov -d ck/gh --framework github_actions -o json --quiet --compact > ck/gh.json
    python benchmarks/overlap.py --zizmor zz --checkov ck/gh.json ck/gl.json ck/az.json
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from pathlib import Path

from mlopsgen.policy import AuditSettings, audit

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


def zizmor(folder: Path) -> dict[str, set[tuple[str, str]]]:
    out: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for path in folder.glob("*.json"):
        try:
            findings = json.loads(path.read_text())
        except json.JSONDecodeError:
            continue  # zizmor refused the file (schema-invalid)
        for f in findings:
            route = f["locations"][0]["symbolic"]["route"]["route"]
            job = route[1]["Key"] if len(route) > 1 and route[0].get("Key") == "jobs" else ""
            out[f["ident"]].add((path.name.removesuffix(".json"), job))
    return out


def checkov(files: list[Path]) -> dict[str, set[tuple[str, str]]]:
    out: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for path in files:
        doc = json.loads(path.read_text())
        for run in doc if isinstance(doc, list) else [doc]:
            for f in run.get("results", {}).get("failed_checks", []):
                parts = Path(f["file_path"]).parts
                name = parts[-1] if parts[-2] == "workflows" else f"{parts[-2]}.yml"
                out[f["check_id"]].add((name, ""))
    return out


def _platform(ident: str) -> str:
    if ident.startswith("CKV_GITLABCI"):
        return "gitlab"
    if ident.startswith("CKV_AZUREPIPELINES"):
        return "azure"
    return "github"


def compare(
    tool: str,
    theirs: dict[str, set[tuple[str, str]]],
    mapping: dict[str, list[str]],
    mine: dict[str, set[tuple[str, str]]],
) -> None:
    print(f"\n{tool}: rule -> ours | files theirs / ours / both / recall | jobs theirs / both")
    for ident, rules in mapping.items():
        t = theirs.get(ident, set())
        names = {p.name for p in (CORPUS / _platform(ident)).glob("*.yml")}
        m = {x for r in rules for x in mine.get(r, set()) if x[0] in names}
        tf, mf = {f for f, _ in t}, {f for f, _ in m}
        both = tf & mf
        recall = f"{100 * len(both) / len(tf):.0f}%" if tf else "-"
        tj = {x for x in t if x[1]}
        jobs_both = tj & m
        jobs = f"{len(tj)} / {len(jobs_both)}" if tj else "-"
        print(
            f"  {ident:32} {'+'.join(rules):26} {len(tf):5} {len(mf):5} {len(both):5} "
            f"{recall:>5} | {jobs}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--zizmor", type=Path)
    parser.add_argument("--checkov", type=Path, nargs="*", default=[])
    args = parser.parse_args()
    wanted = {r for rules in (*ZIZMOR.values(), *CHECKOV.values()) for r in rules}
    mine = ours(wanted)
    if args.zizmor:
        compare("zizmor", zizmor(args.zizmor), ZIZMOR, mine)
    if args.checkov:
        compare("checkov", checkov(args.checkov), CHECKOV, mine)


if __name__ == "__main__":
    main()
