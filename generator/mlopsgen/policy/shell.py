"""Patterns over shell text that several rules share (soft failure, downloads, secrets)."""

from __future__ import annotations

import re

__all__ = [
    "DOWNLOAD_EXEC",
    "SCANNER_NO_FAIL",
    "SOFT_FAIL",
    "logical_lines",
]

#: A command whose failure is swallowed: ``|| true``, ``|| :``, ``|| exit 0``, ``|| echo``,
#: ``set +e``, or a bare ``exit 0``.
SOFT_FAIL = re.compile(
    r"(\|\|\s*(?:true\b|:(?=\s|$|;)|exit\s+0\b|echo\b|/bin/true\b)|"
    r"^\s*set\s+\+e\b|^\s*exit\s+0\s*$|\|\|\s*\$?\(?\s*exit\s*\)?\s*0?\s*$)",
    re.MULTILINE,
)
#: Scanner flags that turn failures into success.
SCANNER_NO_FAIL = re.compile(
    r"(--exit-zero\b|--exit-code[ =]0\b|--soft-fail\b|--no-fail(?:ure)?\b|"
    r"--continue-on-error\b|--disable-pip\b.*--ignore-vulns|-o\s*/dev/null\b)"
)
#: Fetch-and-run: ``curl ... | sh``, ``wget -O- ... | bash``, ``bash <(curl ...)``.
DOWNLOAD_EXEC = re.compile(
    r"((?:curl|wget)\b[^\n|;]*\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:ba|z|da|k)?sh\b|"
    r"(?:curl|wget)\b[^\n|;]*\|\s*(?:sudo\s+)?python[0-9.]*\b|"
    r"(?:ba)?sh\s+<\(\s*(?:curl|wget)\b|"
    r"(?:iex|Invoke-Expression)\b[^\n]*(?:iwr|Invoke-WebRequest|DownloadString))",
    re.IGNORECASE,
)


def logical_lines(script: str) -> list[str]:
    """The script's lines with backslash continuations joined."""
    return script.replace("\\\n", " ").splitlines()
