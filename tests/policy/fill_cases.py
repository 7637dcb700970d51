"""Maintainer tool: print or fill the finding lines of every fail case (review before commit).

python -m tests.policy.fill_cases            # show what each case finds (from the repo root)
python -m tests.policy.fill_cases --write    # add `lines:` to fail cases that lack it
"""

from __future__ import annotations

import re
import sys

from tests.policy.cases import CASES, load_cases, run_case


def main() -> None:
    write = "--write" in sys.argv
    found: dict[str, list[list[int]]] = {}
    for case in load_cases():
        results = run_case(case)
        lines = sorted(r.location.line or 0 for r in results)
        print(f"{case.id}: {lines} {[r.message[:70] for r in results]}")
        found.setdefault(case.rule, []).append(lines)
    if not write:
        return
    for file in sorted(CASES.glob("*.yaml")):
        text = file.read_text()
        rule_line = re.search(r"^rule: (\S+)", text, re.M)
        if rule_line is None:
            raise SystemExit(f"{file}: no `rule:` line")
        rule = rule_line.group(1)
        queue = list(found.get(rule, []))

        def fill(match: re.Match[str], queue: list[list[int]] = queue) -> str:
            lines = queue.pop(0)
            if match.group(2) == "fail" and match.group(3) is None:
                return f"{match.group(1)}expect: fail\n{match.group(1)}lines: {lines}\n"
            return match.group(0)

        text = re.sub(r"^(\s+)expect: (pass|fail)\n(\s+lines: .*\n)?", fill, text, flags=re.M)
        file.write_text(text)


if __name__ == "__main__":
    main()
