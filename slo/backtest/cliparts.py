"""What ``slo backfill`` and ``slo backtest`` share on the command line: instants and the progress bar."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from slo.backtest.evaluate import Progress
from slo.model.durations import Duration
from slo.model.errors import SpecError
from slo.report.periods import parse_instant

_UNIX = re.compile(r"^\d{9,11}$")


def instant(text: str, what: str, now: float | None = None) -> int:
    """ISO 8601 (UTC unless it has an offset), Unix seconds, or a duration meaning that long ago."""
    now = time.time() if now is None else now
    raw = text.strip()
    if _UNIX.match(raw):
        return int(raw)
    if re.match(r"^\d+[wdhms]", raw) and not re.match(r"^\d{4}-", raw):
        try:
            return int(now) - Duration.parse(raw).seconds
        except ValueError as exc:
            raise SpecError(f"{what}: {exc}") from None
    return int(parse_instant(raw, "UTC", what).timestamp())


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Progress]:
    """A rich progress bar on stderr (one task per level / phase); a no-op when disabled."""
    if not enabled or not sys.stderr.isatty():
        yield lambda what, done, total: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Bar(*columns, console=Console(stderr=True), transient=True) as bar:
        tasks: dict[str, int] = {}

        def update(what: str, done: int, total: int) -> None:
            if what not in tasks:
                tasks[what] = bar.add_task(what, total=total)
            bar.update(tasks[what], completed=done, total=total)

        yield update
