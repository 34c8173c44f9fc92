"""How many of the upstream Sloth, OpenSLO and Pyrra spec files the loaders accept.

Each file under tests/data/{sloth,openslo,pyrra}/upstream is loaded on its own (as a user pointing
``slo validate`` at it would); a ``*-duplicate*`` file is loaded with its ``*-original*`` twin. Files
the upstream project itself keeps as invalid fixtures (``validate/bad``, ``in-invalid-version``,
``*-duplicate*``) are counted apart: they must be refused, except where :data:`BY_DESIGN` says why the
toolkit accepts them. Files holding only supporting documents (OpenSLO DataSource or alert objects,
Sloth AlertWindows) are counted apart too: they must get the clear "no SLO found" message.
With ``-v``, prints one line per refused valid file with its first problem.
"""

from __future__ import annotations

import sys
from pathlib import Path

from slo.loaders import load
from slo.model.errors import SpecError

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
INVALID_MARKS = ("/validate/bad/", "in-invalid-version", "-duplicate")
BY_DESIGN = {
    # Sloth refuses it because its default alert windows are for 30 days; the toolkit scales the
    # default tiers to any whole-day period.
    "test/integration/prometheus/testdata/validate/bad/bad-openslo.yaml": "28-day window",
}
NO_SLO = "no SLO found"


def main() -> int:
    verbose = "-v" in sys.argv
    for corpus in ("sloth", "openslo", "pyrra"):
        root = DATA / corpus / "upstream"
        valid_ok = valid_total = invalid_refused = invalid_total = supporting = supporting_clear = 0
        for path in sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml")):
            shown = str(path.relative_to(root))
            invalid = any(mark in f"/{shown}" for mark in INVALID_MARKS) and shown not in BY_DESIGN
            twin = path.with_name(path.name.replace("-duplicate", "-original"))
            try:
                load([twin, path] if twin != path else [path])
                accepted, first = True, ""
            except SpecError as exc:
                accepted, first = False, str(exc.problems[0])
            if NO_SLO in first or _supporting(path):
                supporting += 1
                supporting_clear += NO_SLO in first
                continue
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
            f"{invalid_refused}/{invalid_total} upstream-invalid files refused; "
            f"{supporting_clear}/{supporting} files without an SLO get the 'no SLO found' message"
        )
    return 0


def _supporting(path: Path) -> bool:
    """A file whose documents are all supporting kinds (no SLO to load)."""
    text = path.read_text(encoding="utf-8")
    kinds = [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("kind:")]
    return bool(kinds) and all(
        k in ("AlertWindows", "AlertPolicy", "AlertCondition", "AlertNotificationTarget", "DataSource") for k in kinds
    )


if __name__ == "__main__":
    sys.exit(main())
