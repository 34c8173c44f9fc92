"""Recording rules evaluated over history, level by level, into TSDB blocks.

A recording rule's value at ``t`` is the instant query of its expression at ``t``; a range query
with ``step`` = the group's interval gives the same values on an aligned grid, so each level is one
range query per rule and time chunk. Level 1 reads raw series and is queried on the user's server
(with its auth, TLS and retries). Later levels read recorded series that only exist in the blocks
just written: they are queried on a Prometheus started here, on 127.0.0.1, over hard links of those
blocks; an expression reading raw and recorded series at once runs there too, after the raw series
it selects were copied (:func:`copy_raw`). Answers are spooled to disk one file per series and
turned into blocks once per level by ``promtool tsdb create-blocks-from openmetrics``, so memory
holds the answers in flight (one per worker), never a level.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from slo.backtest.plan import Recording, RulePlan
from slo.local.metrics_text import format_number, render_labels
from slo.local.servers import PrometheusServer
from slo.local.tsdb import backfill_openmetrics, blocks_in
from slo.model.errors import Problem, SpecError
from slo.model.selectors import quote
from slo.report.client import NO_PARTIAL, Answer, Connection, PromClient

POINTS = 10_000  # evaluations per query: fewer points than Prometheus' 11,000 limit per series
BLOCK = "240h"  # promtool re-reads the OpenMetrics file once per block: few, large blocks
LOCAL_FLAGS = ("--query.timeout=30m", "--query.max-samples=500000000")

Progress = Callable[[str, int, int], None]  # (what, done, total)


class NoData(SpecError):
    """The range holds no samples of the SLI's source series."""


def _noop(what: str, done: int, total: int) -> None:
    return None


class Client(PromClient):
    """The report's client, plus instant queries of range selectors (raw samples with their times)."""

    def samples(self, selector: str, seconds: int, at: int) -> Answer:
        """``selector[seconds]`` at ``at``: every stored sample in that range (no resampling)."""
        expr = f"{selector}[{seconds}s]"
        params = {"time": str(at), **NO_PARTIAL}
        return self._call("query", lambda: self._prom.custom_query(expr, params=params), "values")


RAW_CHUNK = 6 * 3600


def copy_raw(
    remote: Client, selectors: Mapping[str, int], start: int, end: int, out_dir: Path, work: Path, progress: Progress
) -> int:
    """The raw samples of ``selectors`` (each from ``start`` minus its reach) as blocks in ``out_dir``.

    Used only for expressions that read raw and recorded series at once: they run on the local
    server, so it needs the raw samples too. Returns the number of samples copied.
    """
    if not selectors:
        return 0
    first = start - max(selectors.values())
    pieces = [(lo, min(lo + RAW_CHUNK, end)) for lo in range(first, end, RAW_CHUNK)]
    spool = Spool(work / "raw")
    for n, (lo, hi) in enumerate(pieces):
        for selector in selectors:
            for item in remote.samples(selector, hi - lo, hi):
                metric = dict(item.get("metric", {}))
                name = metric.pop("__name__", selector.split("{", 1)[0])
                spool.add(name, metric, item["values"])
        progress("raw series", n + 1, len(pieces))
    path = work / "raw.om"
    if spool.write(path):
        backfill_openmetrics(path, out_dir, max_block=BLOCK)
        path.unlink(missing_ok=True)
    return spool.samples


def grid(start: int, end: int, step: int) -> list[int]:
    """Evaluation instants: multiples of ``step`` in ``[start, end]`` (Prometheus aligns groups likewise)."""
    first = -(-start // step) * step
    return list(range(first, end + 1, step))


def _chunk_size(step: int) -> int:
    return step * POINTS


def chunks(start: int, end: int, step: int) -> Iterator[tuple[int, int]]:
    """``[lo, hi)`` pieces of ``[start, end]`` of at most ``POINTS`` evaluations, aligned to their size."""
    size = _chunk_size(step)
    lo = start
    while lo <= end:
        hi = min(end + 1, (lo // size + 1) * size)
        yield lo, hi
        lo = hi


@dataclass
class LevelResult:
    """What one level wrote."""

    level: int
    series: int
    samples: int
    empty_rules: list[Recording]
    seconds: float = 0.0
    rules: int = 0


class Spool:
    """Samples streamed to one file per series, then joined into one OpenMetrics file.

    OpenMetrics wants each family (and each series) contiguous and in time order; queries arrive
    chunk by chunk and rule by rule. Spooling keeps memory at one query answer.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._files: dict[tuple[str, tuple[tuple[str, str], ...]], Path] = {}
        self._last: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        self.samples = 0

    def add(self, name: str, labels: Mapping[str, str], values: Sequence[Sequence[Any]]) -> int:
        key = (name, tuple(sorted(labels.items())))
        path = self._files.get(key)
        if path is None:
            path = self._files[key] = self.directory / f"{len(self._files)}.txt"
        prefix = name + render_labels(labels) + " "
        last = self._last.get(key, -math.inf)
        lines = []
        for t, v in values:
            ts = float(t)
            if ts <= last:
                continue
            last = ts
            lines.append(f"{prefix}{format_number(float(v))} {format_number(ts)}\n")
        self._last[key] = last
        with open(path, "a", encoding="utf-8") as out:
            out.write("".join(lines))
        self.samples += len(lines)
        return len(lines)

    @property
    def series(self) -> int:
        return len(self._files)

    def write(self, path: Path) -> bool:
        """The OpenMetrics file (gauges, family by family); False when nothing was spooled."""
        if not self.samples:
            return False
        by_family: dict[str, list[Path]] = {}
        for (name, _), file in self._files.items():
            by_family.setdefault(name, []).append(file)
        with open(path, "w", encoding="utf-8") as out:
            for name, files in by_family.items():
                out.write(f"# TYPE {name} gauge\n")
                for file in files:
                    with open(file, encoding="utf-8") as part:
                        shutil.copyfileobj(part, out)
                    file.unlink()
            out.write("# EOF\n")
        return True


def _labels(metric: Mapping[str, str], rule: Recording) -> dict[str, str]:
    out = {k: v for k, v in metric.items() if k != "__name__"}
    out.update(rule.labels)
    return out


def evaluate_level(
    client: PromClient,
    rules: Sequence[Recording],
    start: int,
    end: int,
    out_dir: Path,
    work: Path,
    level: int,
    progress: Progress = _noop,
    workers: int = 2,
) -> LevelResult:
    """Evaluate ``rules`` over ``[start, end]`` through ``client`` (``workers`` queries at a time) into ``out_dir``."""
    began = time.monotonic()
    step = min(r.interval for r in rules)
    pieces = list(chunks(start, end, step))
    spool = Spool(work / f"level{level}")
    non_empty: set[int] = set()
    total = len(pieces) * len(rules)

    def query(lo: int, hi: int, rule: Recording) -> list[dict[str, Any]]:
        times = grid(lo, hi - 1, rule.interval)
        if not times:
            return []
        first, last = datetime.fromtimestamp(times[0], UTC), datetime.fromtimestamp(times[-1], UTC)
        return list(client.range(rule.expr, first, last, rule.interval))

    done = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for lo, hi in pieces:
            # ``workers`` queries in flight; answers are spooled in rule order (series stay in time order).
            for batch in range(0, len(rules), workers):
                part = list(enumerate(rules))[batch : batch + workers]
                answers = [pool.submit(query, lo, hi, rule) for _, rule in part]
                for (i, rule), future in zip(part, answers, strict=True):
                    for item in future.result():
                        if spool.add(rule.record, _labels(item.get("metric", {}), rule), item["values"]):
                            non_empty.add(i)
                    done += 1
                    progress(f"level {level}", done, total)
    path = work / f"level{level}.om"
    if spool.write(path):
        backfill_openmetrics(path, out_dir, max_block=BLOCK)
        path.unlink(missing_ok=True)
    empty = [r for i, r in enumerate(rules) if i not in non_empty]
    return LevelResult(level, spool.series, spool.samples, empty, time.monotonic() - began, len(rules))


def _link_blocks(src: Path, data_dir: Path) -> None:
    """Hard-link ``src``'s blocks into a local server's data dir (copy across file systems)."""
    for block in blocks_in(src):
        target = data_dir / block.name
        if target.exists():
            continue
        try:
            shutil.copytree(block, target, copy_function=os.link)
        except OSError:
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(block, target)


@dataclass
class BackfillRun:
    """The outcome of :func:`backfill`: per-level figures and the rules whose queries returned nothing."""

    levels: list[LevelResult]

    @property
    def samples(self) -> int:
        return sum(level.samples for level in self.levels)

    @property
    def series(self) -> int:
        return sum(level.series for level in self.levels)


@contextmanager
def local_server(dirs: Sequence[Path], work: Path, lookback: int = 300) -> Iterator[Callable[[], PromClient]]:
    """A Prometheus on 127.0.0.1 over the blocks in ``dirs``; the callable (re)loads them and gives a client.

    ``lookback`` is its ``--query.lookback-delta``: backfilled series carry no staleness markers, so a
    series that stops would otherwise stay visible for 5 minutes; the longest rule interval keeps
    each sample visible until the next evaluation and no longer.
    """
    data = work / "local-data"
    data.mkdir(parents=True, exist_ok=True)
    flags = (*LOCAL_FLAGS, f"--query.lookback-delta={lookback}s")
    server = PrometheusServer(data, max_runtime=24 * 3600, retention="100y", extra_args=flags)
    clients: list[PromClient] = []

    def reload() -> PromClient:
        server.stop()
        for blocks in dirs:
            if blocks.is_dir():
                _link_blocks(blocks, data)
        server.start()
        client = Client(Connection(url=server.url, timeout=1800, retries=1))
        clients.append(client)
        return client

    try:
        yield reload
    finally:
        for c in clients:
            c.close()
        server.stop()


def backfill(
    remote: Client,
    plan: RulePlan,
    start: int,
    end: int,
    out_dir: Path,
    progress: Progress = _noop,
    *,
    local: Callable[[], PromClient] | None = None,
    raw_dir: Path | None = None,
    extra_raw: Mapping[str, int] | None = None,
    workers: int = 2,
) -> BackfillRun:
    """Every level of ``plan`` over ``[start, end]``; level 1 on ``remote``, the rest on a local server.

    ``local`` (from :func:`local_server` over ``out_dir`` and ``raw_dir``) is started only when a
    second level exists. Rules that read raw and recorded series at once, and ``extra_raw``
    selectors, get their raw series copied into ``raw_dir`` first. Raises :class:`NoData` when no
    level-1 rule reading raw series returned a sample.
    """
    if plan.problems:
        why = "one query cannot read both the server and the backfilled series"
        raise SpecError(
            [Problem("<rules>", None, "", f"cannot evaluate over history: {p} ({why})") for p in plan.problems]
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    results: list[LevelResult] = []
    raw: dict[str, int] = dict(extra_raw or {})
    for r in plan.recordings:
        if r.level > 1:
            for text, reach in r.raw_selectors.items():
                raw[text] = max(raw.get(text, 0), reach)
    _require_data(remote, plan, start, end)
    with tempfile.TemporaryDirectory(prefix=".om-", dir=out_dir) as tmp:
        work = Path(tmp)
        if raw:
            if raw_dir is None:
                raise ValueError("raw_dir is needed for rules that read raw and recorded series")
            raw_dir.mkdir(parents=True, exist_ok=True)
            copy_raw(remote, raw, start, end, raw_dir, work, progress)
        for n, rules in enumerate(plan.levels, 1):
            if not rules:
                continue
            client = remote if n == 1 else (local() if local is not None else remote)
            result = evaluate_level(client, rules, start, end, out_dir, work, n, progress, workers)
            results.append(result)
    return BackfillRun(results)


def _require_data(remote: PromClient, plan: RulePlan, start: int, end: int) -> None:
    """Fail fast (:class:`NoData`) when none of the raw series the rules read has a sample in the range.

    Checked hourly with ``count(selector)`` (each answer looks 5 minutes back), before any work.
    """
    selectors = sorted({s for r in plan.recordings for s in r.raw_selectors})
    if not selectors:
        return
    step = 3600 if end - start >= 7200 else 60
    first, last = datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)
    for selector in selectors:
        if any(item["values"] for item in remote.range(f"count({selector})", first, last, step)):
            return
    names = sorted({name for r in plan.recordings for name in r.raw_inputs})
    raise NoData(
        f"{remote.shown}: no samples of {', '.join(names)} between {_iso(start)} and {_iso(end)}: "
        "is the range inside the server's retention, and are these the right selectors?"
    )


def already_recorded(remote: PromClient, plan: RulePlan, start: int, end: int) -> int | None:
    """The first hour in ``[start, end]`` at which the server already holds some of the recorded series.

    A server running the rules (this version or another) records them live: backfilled samples in the
    same span would interleave with those. None when the server has none of them.
    """
    names = sorted({r.record for r in plan.recordings})
    if not names:
        return None
    selector = "{__name__=~" + quote("|".join(re.escape(n) for n in names)) + "}"
    first, last = datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)
    step = 3600 if end - start >= 7200 else 60
    found = [float(t) for item in remote.range(f"count({selector})", first, last, step) for t, _ in item["values"]]
    return int(min(found)) if found else None


def _iso(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")
