"""How many of the upstream Sloth, OpenSLO and Pyrra spec files the loaders accept.

Each file under tests/data/{sloth,openslo,pyrra}/upstream is loaded on its own (as a user pointing
``slo validate`` at it would). Files the upstream project itself keeps as invalid fixtures
(``validate/bad``, ``in-invalid-version``, ``*-duplicate*``) are counted apart: they must be refused.
Prints one line per refused valid file with its first problem, then the totals.
"""

from __future__ import annotations

import sys
from pathlib import Path

from slo.errors import SpecError
from slo.loaders import load

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
INVALID_MARKS = ("/validate/bad/", "in-invalid-version", "-duplicate")


def main() -> int:
    verbose = "-v" in sys.argv
    for corpus in ("sloth", "openslo", "pyrra"):
        root = DATA / corpus / "upstream"
        valid_ok = valid_total = invalid_refused = invalid_total = 0
        for path in sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml")):
            shown = str(path.relative_to(root))
            invalid = any(mark in f"/{shown}" for mark in INVALID_MARKS)
            try:
                load([path])
                accepted, first = True, ""
            except SpecError as exc:
                accepted, first = False, str(exc.problems[0])
            if invalid:
                invalid_total += 1
                invalid_refused += not accepted
                if accepted and verbose:
                    print(f"  ACCEPTED INVALID {shown}")
            else:
                valid_total += 1
                valid_ok += accepted
                if not accepted and verbose:
                    print(f"  refused {shown}: {first.replace(str(root) + '/', '')}")
        print(
            f"{corpus}: {valid_ok}/{valid_total} valid files accepted; "
            f"{invalid_refused}/{invalid_total} upstream-invalid files refused"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
