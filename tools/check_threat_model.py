"""Fails when docs/THREAT-MODEL.md names code or a test that no longer exists.

Every backticked `path` or `path:name` of the page is checked: the path under billing_specialist/ (tests under
billing_specialist/tests/), and the name as a def, a class or an assignment in that file.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDON = ROOT / "billing_specialist"
REFERENCE = re.compile(r"`([\w/.-]+\.(?:py|xml))(?::(\w+))?`")


def resolve(path):
    for base in (ADDON, ADDON / "tests", ROOT):
        candidate = base / path
        if candidate.is_file():
            return candidate
    return None


def defines(text, name):
    return re.search(rf"^\s*(?:async\s+)?(?:def|class)\s+{name}\b|^\s*{name}\s*=", text, re.M) is not None


def main():
    page = (ROOT / "docs" / "THREAT-MODEL.md").read_text(encoding="utf-8")
    problems = []
    seen = 0
    for path, name in REFERENCE.findall(page):
        seen += 1
        found = resolve(path)
        if found is None:
            problems.append(f"{path}: no such file")
        elif name and not defines(found.read_text(encoding="utf-8"), name):
            problems.append(f"{path}:{name}: not defined there")
    for problem in sorted(set(problems)):
        print(f"docs/THREAT-MODEL.md names {problem}")
    print(f"docs/THREAT-MODEL.md: {seen} references, {len(set(problems))} broken")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
