"""End to end: an outage on a synthetic exporter pages through real Prometheus and Alertmanager.

The machinery of ``slo demo``: the bundled example's generated rule files (unmodified, their own
30s/1m intervals) in a real Prometheus scraping a synthetic exporter every 15s on 127.0.0.1, over 26h
of backfilled healthy history (raw series and the base recording rules), the generated Alertmanager
routing in a real Alertmanager with every receiver pointed at a local webhook. A total outage must
reach the pager receiver as a page of the 99.9% SLO's fast tier; no ticket may notify (the page
inhibits it); the measured time to detect is recorded (the seeds' KPI is under 2 minutes).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from slo.loaders import load
from slo.local import demo
from tests.conftest import DATA, EXAMPLE, ROOT, Backend, require


@pytest.mark.integration
def test_outage_pages_the_pager_receiver_and_not_the_ticket_channel(
    backend: Backend, tmp_path: Path, record_property: pytest.RecordProperty
) -> None:
    for name in ("prometheus", "promtool"):
        require(name)
    defs = load([EXAMPLE / "slos.py"])
    assert defs.routing is not None, "the example defines routing"
    lines: list[str] = []
    result = demo.run(defs, deadline=240, keep=tmp_path / "run", say=lines.append)
    text = demo.summary(result)
    print(text)
    record_property("time_to_detect_seconds", result.time_to_detect)

    assert result.detected, "no page arrived:\n" + "\n".join(lines) + "\n" + text
    first = min(result.pages, key=lambda p: p.seconds_after_outage)
    assert first.receiver == "pagerduty"
    assert first.severity == "critical"
    assert ("uptime", "SLOErrorBudgetBurn", "fast-page") in first.alerts
    assert all(p.receiver == "pagerduty" for p in result.pages)
    assert not result.tickets, f"tickets notified besides the page: {result.tickets}"
    assert not [line for line in lines if "before the outage" in line], lines
    # Not instantaneous: the 1h window must first hold 14.4 x 0.1% of failed probes (~4 of 240 samples).
    assert first.seconds_after_outage > 30
    # The month-to-date report ran against the same Prometheus and saw the outage.
    assert result.report is not None and "uptime" in result.report


def test_a_relabelled_page_is_still_a_page() -> None:
    # Sloth specs relabel severity (here 'pageteam' / 'slack'); the demo judges pages by the tier.
    (svc,) = load([DATA / "sloth" / "myservice.yaml"]).services
    page = {"slo": "requests-availability", "tier": "fast-page", "severity": "pageteam"}
    ticket = {"slo": "requests-availability", "tier": "slow-ticket", "severity": "slack"}
    assert demo.is_page(svc, page)
    assert not demo.is_page(svc, ticket)
    assert demo.is_page(svc, {"alertname": "HighErrorRate", "severity": "critical"})
    assert not demo.is_page(svc, {"alertname": "HighErrorRate", "severity": "warning"})


@pytest.mark.integration
def test_ctrl_c_stops_every_process_and_removes_the_work_directory(backend: Backend, tmp_path: Path) -> None:
    """SIGINT while Prometheus and Alertmanager run: both stop, the temporary directory goes away."""
    for name in ("prometheus", "promtool"):
        require(name)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    cmd = [sys.executable, "-c", "from slo.cli import main; main()", "demo", str(EXAMPLE / "slos.py")]
    cmd += ["--history", "26h", "--no-report"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    lines = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if line.startswith("healthy traffic"):
                break
        else:
            pytest.fail("the demo ended before its servers were up:\n" + "".join(lines))
        workdirs = list(scratch.glob("slo-demo-*"))
        assert len(workdirs) == 1, workdirs
        running = _processes_under(scratch)
        assert len(running) >= 2, "prometheus and alertmanager should be running"
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    assert proc.returncode != 0
    assert not list(scratch.glob("slo-demo-*")), "the work directory was left behind"
    deadline = time.monotonic() + 15
    while _processes_under(scratch) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _processes_under(scratch), "processes outlived the demo"


def _processes_under(directory: Path) -> list[str]:
    """Command lines of running processes that mention ``directory`` (the demo's servers)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        text = " ".join(a.decode("utf-8", "replace") for a in args)
        if str(directory) in text and "from slo.cli" not in text:
            found.append(text)
    return found
