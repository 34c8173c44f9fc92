"""``slo backfill`` on a real Prometheus: blocks that give a full 30d SLI from the first evaluation.

Ten days of raw counters with incidents are backfilled into a Prometheus that has no rules (the
"remote"); ``slo backfill`` writes the recording rules' history as blocks; the blocks are moved into
the server, which is restarted with the generated rules. Its very first evaluation of the 30-day
SLI must equal the exact event ratio of all the history (computed from the counters, no PromQL):
without the backfill it would be the ratio of the last five minutes. Reruns, other rules, a server
that is down and a range without data are checked on the same server.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from generators.prometheus_rules import rule_file
from slo.commands.common import definitions
from slo.local.metrics_text import write_openmetrics
from slo.local.servers import PrometheusServer, free_port
from slo.local.tsdb import backfill_openmetrics, write_rules
from tests.backtest_world import DAY, HOUR, World, build
from tests.conftest import Backend, require

pytestmark = pytest.mark.integration

DEFS = """\
from slo import availability, regex, service

shop = service(
    "shop",
    availability("availability", {objective}, "http_requests_total", errors={{"code": regex("5..")}},
                 labels={{"job": "shop"}}),
)
"""
SLI = 'slo:sli:ratio_period{service="shop",slo="availability"}'


@dataclass
class Env:
    tmp: Path
    world: World
    server: PrometheusServer
    defs: Path
    first: int
    last: int


def slo(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-c", "from slo.cli import main; main()", *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def env(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    require("prometheus")
    require("promtool")
    tmp = tmp_path_factory.mktemp("backfill")
    now = int(time.time()) // 60 * 60
    first, last = now - 10 * DAY, now - 120
    incidents = [(now - 8 * DAY, now - 8 * DAY + 1800, 1.0), (now - 3 * DAY, now - 3 * DAY + 6 * HOUR, 0.01)]
    world = build(first, last, incidents)
    om = tmp / "raw.om"
    write_openmetrics(world.series(), om)
    backfill_openmetrics(om, tmp / "data")
    om.unlink()
    defs = tmp / "slos.py"
    defs.write_text(DEFS.format(objective=99.9), encoding="utf-8")
    with PrometheusServer(tmp / "data", max_runtime=900) as server:
        yield Env(tmp, world, server, defs, first, last)


def test_first_evaluation_gives_the_exact_30d_sli(env: Env) -> None:
    out = env.tmp / "blocks"
    done = slo(
        "backfill", str(env.defs), "--prometheus", env.server.url, "--start", str(env.first), "--end", str(env.last),
        "--out", str(out), "-q", cwd=env.tmp,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    print("\n" + done.stderr + done.stdout)
    assert "block(s)" in done.stdout and "copy the block directories" in done.stdout
    manifest = json.loads((out / "slo-backfill.json").read_text(encoding="utf-8"))
    blocks = sorted(p.name for p in out.iterdir() if (p / "meta.json").is_file())
    assert blocks == sorted(manifest["blocks"]) and blocks
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no staging or work left behind

    # Load the blocks and the generated rules into the server: the first evaluation has 30 days.
    doc = rule_file(definitions((str(env.defs),)).services[0])
    rules = write_rules(doc, env.tmp / "shop.rules.yml")
    env.server.stop()
    for block in manifest["blocks"]:
        shutil.copytree(out / block, env.tmp / "data" / block)
    env.server.rule_files = [rules]
    env.server.evaluation_interval = "30s"
    env.server.start()
    deadline = time.monotonic() + 120
    value = None
    while time.monotonic() < deadline:
        got = env.server.query(f"timestamp({SLI})", time.time())
        if got:
            at = got[0][1]
            value = env.server.query_value(SLI, at)
            break
        time.sleep(1)
    assert value is not None, "the rules never evaluated"
    bad, total = env.world.truth(at - 30 * DAY, at)
    truth = 1 - bad / total
    # Without the backfill the 30d window would hold one 5m rate: the last minutes' ratio, ~0.9998.
    print(f"first evaluation at {at:.0f}: 30d SLI {value:.8f}, truth {truth:.8f}")
    assert abs(value - truth) <= 1e-4
    assert truth < 0.999  # the incidents are in it: a 5m-only window would be far off
    # The recorded series come from the backfill, continuously, back to --start.
    early = env.server.query_value('slo:sli_total:rate5m{service="shop",slo="availability"}', env.first + DAY)
    assert early is not None and early > 0


def test_rerun_replaces_its_blocks_and_other_rules_are_refused(env: Env) -> None:
    out = env.tmp / "other"
    args = ["--prometheus", env.server.url, "--start", str(env.last - 2 * HOUR), "--end", str(env.last), "-q"]
    first = slo("backfill", str(env.defs), *args, "--out", str(out), cwd=env.tmp)
    assert first.returncode == 0, first.stderr
    blocks = json.loads((out / "slo-backfill.json").read_text(encoding="utf-8"))["blocks"]
    # Safe to rerun: the same rules replace their own blocks (no duplicates), DIR stays consistent.
    again = slo("backfill", str(env.defs), *args, "--out", str(out), cwd=env.tmp)
    assert again.returncode == 0, again.stderr
    manifest = json.loads((out / "slo-backfill.json").read_text(encoding="utf-8"))
    assert len(manifest["blocks"]) == len(blocks) and set(manifest["blocks"]).isdisjoint(blocks)
    assert sorted(p.name for p in out.iterdir() if (p / "meta.json").is_file()) == sorted(manifest["blocks"])
    tighter = env.tmp / "tighter.py"
    tighter.write_text(DEFS.format(objective=99.95), encoding="utf-8")
    refused = slo("backfill", str(tighter), *args, "--out", str(out), cwd=env.tmp)
    assert refused.returncode == 1, refused.stderr
    assert "different version of the rules" in refused.stderr and "--replace" in refused.stderr
    replaced = slo("backfill", str(tighter), *args, "--out", str(out), "--replace", cwd=env.tmp)
    assert replaced.returncode == 0, replaced.stderr


def test_range_without_data_and_server_down(env: Env) -> None:
    empty = slo(
        "backfill", str(env.defs), "--prometheus", env.server.url, "--start", str(env.first - 5 * DAY),
        "--end", str(env.first - 4 * DAY), "--out", str(env.tmp / "empty"), "-q", cwd=env.tmp,
    )  # fmt: skip
    assert empty.returncode == 1, empty.stderr
    assert "no samples of http_requests_total" in empty.stderr
    assert not list((env.tmp / "empty").glob("0*"))
    down = slo(
        "backfill", str(env.defs), "--prometheus", f"http://127.0.0.1:{free_port()}", "--start", "2h",
        "--out", str(env.tmp / "down"), "-q", "--retries", "0", cwd=env.tmp,
    )  # fmt: skip
    assert down.returncode == 2, down.stderr
    assert "connection refused" in down.stderr and "Traceback" not in down.stderr


def test_a_server_already_recording_the_series_is_pointed_out(env: Env) -> None:
    # After the first test the server holds the backfilled (and live) recorded series.
    if not env.server.query("count(slo:sli_total:rate5m)", env.last):
        pytest.fail("run with the first test of this module: it loads the blocks")
    out = env.tmp / "overlap"
    done = slo(
        "backfill", str(env.defs), "--prometheus", env.server.url, "--start", str(env.last - 2 * HOUR),
        "--end", str(env.last), "--out", str(out), "-q", cwd=env.tmp,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "already records some of these series" in done.stderr and "rerun with --end" in done.stderr
