"""``slo generate`` killed with SIGKILL at many points never leaves a torn or misleading file.

What slo/project/output.py guarantees, and what these tests hold it to, is **per-file** atomicity: every
file is written to a hidden temporary beside it (``.<name>.slo-tmp-<pid>-<hex>``, flushed and
fsynced) and renamed over the old one. A run killed half-way therefore leaves each generated file
either wholly old or wholly new — but the *set* may be mixed (some services' files already new,
others still old; a removed service's files not yet deleted). The next ``slo generate`` converges:
it rewrites what differs, deletes what is stale and removes the temporaries the killed run left.

The kill points are real: a subprocess runs the CLI over 80 services (~320 files), the test watches for the
first rename (or temporary) in the output and sends SIGKILL after a random share of the measured
write phase; a few kills land earlier, while the definitions are still being rendered. Nothing
asserts how long anything takes.
"""

from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from slo.project.output import TEMP_NAME, remove_stale_temps, temp_path, write_atomic, write_tree

SERVICES = 80
CLI = [sys.executable, "-c", "from slo.cli import main; main()"]
KILLS_IN_WRITE = 10
KILLS_EARLY = 1


def definitions(version: int) -> str:
    """One SLO per service (cheap to render, many files to write); version 2 drops service 0, adds one."""
    objective = "99.9" if version == 1 else "99.5"
    names = range(SERVICES - 1) if version == 1 else range(1, SERVICES)
    lines = [
        "from slo import availability, latency, pagerduty, regex, routing, service, slack",
        "",
        'pager = pagerduty("pager", routing_key_file="/etc/alertmanager/pd-key")',
        'chat = slack("chat", api_url_file="/etc/alertmanager/slack-url", channel="#alerts")',
        'alert_routing = routing(pager, chat, critical="pager", warning="chat")',
    ]
    for i in names:
        job = f'{{"job": "svc{i:03d}"}}'
        if i % 2:
            slo = f'latency("latency", {objective}, "http_request_duration_seconds", under="200ms", labels={job})'
        else:
            errors = '{"code": regex("5..")}'
            slo = f'availability("availability", {objective}, "http_requests_total", errors={errors}, labels={job})'
        lines.append(f'svc{i:03d} = service("svc-{i:03d}", {slo}, team="team-{i % 5}")')
    return "\n".join(lines) + "\n"


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def generate(cwd: Path, source: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "generate", str(source), "--out", str(out), *extra],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _first_target(out: Path) -> Path:
    """The file a run writes first (paths are written in sorted order): its inode changes on rename."""
    return out / "alertmanager" / "alertmanager.yml"


def _writing_started(first: Path, inode: int) -> bool:
    try:
        if first.stat().st_ino != inode:
            return True
        return any(TEMP_NAME.match(name) for name in os.listdir(first.parent))
    except FileNotFoundError:
        return True


def run_and_kill(cwd: Path, source: Path, out: Path, when: str, share: float, write_phase: float) -> int | None:
    """Start ``slo generate``; SIGKILL it ``share`` of the way through the write phase (or earlier).

    Returns the exit code, or None when the kill landed before the run ended.
    """
    first = _first_target(out)
    inode = first.stat().st_ino
    proc = subprocess.Popen(
        [*CLI, "generate", str(source), "--out", str(out)],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        if when == "early":
            time.sleep(share)
        else:
            while proc.poll() is None and not _writing_started(first, inode):
                time.sleep(0.0005)
            time.sleep(share * write_phase)
        code = proc.poll()
        if code is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        return code
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def check_states(out: Path, old: dict[str, bytes], new: dict[str, bytes]) -> tuple[int, int, int]:
    """Every generated file wholly old or wholly new; anything else a recognisable temporary.

    Returns (files with new content, files with old content, temporaries).
    """
    now = tree(out)
    fresh = stale = temps = 0
    for rel, data in now.items():
        if rel in old or rel in new:
            assert data in (old.get(rel), new.get(rel)), f"{rel}: neither the old nor the new content"
            if data == new.get(rel) and data != old.get(rel):
                fresh += 1
            elif data == old.get(rel) and data != new.get(rel):
                stale += 1
            continue
        name = rel.rsplit("/", 1)[-1]
        assert TEMP_NAME.match(name), f"unexpected file {rel}"
        assert not name.endswith((".yml", ".yaml", ".json")), f"{rel} looks like output"
        temps += 1
    for rel in set(old) & set(new):
        assert rel in now, f"{rel} vanished: a file both versions generate must never be missing"
    return fresh, stale, temps


@pytest.mark.integration
def test_kill_at_many_points_leaves_whole_files_and_a_rerun_converges(tmp_path: Path) -> None:
    sources = {}
    for version in (1, 2):
        (tmp_path / f"v{version}").mkdir()
        sources[version] = tmp_path / f"v{version}" / "slos.py"
        sources[version].write_text(definitions(version), encoding="utf-8")
    # The first run writes version 1 into ``out``; the second, which replaces it with version 2,
    # also measures the write phase: from the first rename to the exit.
    out = tmp_path / "out"
    done = generate(tmp_path, sources[1], out)
    assert done.returncode == 0, done.stderr
    old = tree(out)
    first = _first_target(out)
    inode = first.stat().st_ino
    proc = subprocess.Popen(
        [*CLI, "generate", str(sources[2]), "--out", str(out)], cwd=tmp_path, stdout=subprocess.DEVNULL
    )
    while proc.poll() is None and not _writing_started(first, inode):
        time.sleep(0.0005)
    began = time.monotonic()
    assert proc.wait(timeout=120) == 0
    write_phase = max(time.monotonic() - began, 0.01)
    startup = 0.3
    new = tree(out)
    assert len(old) > 4 * (SERVICES - 1)
    changing = [rel for rel in set(old) & set(new) if old[rel] != new[rel]]
    assert len(changing) >= 4 * (SERVICES - 2)  # every service's files change (not constant ones)
    assert set(old) - set(new) and set(new) - set(old)  # a removed and an added service

    rng = random.Random(20261125)
    plan = [("write", rng.uniform(0.0, 1.1)) for _ in range(KILLS_IN_WRITE)]
    plan += [("early", rng.uniform(0.0, startup)) for _ in range(KILLS_EARLY)]
    rng.shuffle(plan)
    summary = []
    fresh, stale = len(new), 0
    for when, share in plan:
        target = 1 if fresh >= stale else 2  # towards the version the tree is less like: every run has work
        code = run_and_kill(tmp_path, sources[target], out, when, share, write_phase)
        fresh, stale, temps = check_states(out, old, new)
        summary.append((when, target, round(share, 2), code, fresh, stale, temps))
    print(f"\nwrite phase {write_phase:.3f}s; (when, target, share, exit, new files, old files, temps):")
    for row in summary:
        print("  ", row)

    done = generate(tmp_path, sources[2], out)
    assert done.returncode == 0, done.stderr
    assert tree(out) == new  # converged: every file new, the removed service's files gone, no temporaries


def test_temporaries_are_hidden_unmatched_and_swept_only_when_their_writer_is_gone(tmp_path: Path) -> None:
    target = tmp_path / "rules" / "a.rules.yml"
    target.parent.mkdir()
    ours = temp_path(target)
    assert ours.parent == target.parent and TEMP_NAME.match(ours.name)
    assert ours.name.startswith(".") and not ours.name.endswith((".yml", ".yaml", ".json"))
    ours.write_text("half a file")  # a live writer: this process
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan = target.parent / f".a.rules.yml.slo-tmp-{dead.pid}-0badcafe"
    orphan.write_text("left by a killed run")
    unrelated = target.parent / ".a.rules.yml.swp"
    unrelated.write_text("an editor's file")
    removed = remove_stale_temps(tmp_path / "rules", recursive=True)
    assert removed == [orphan]
    assert ours.exists() and unrelated.exists()
    old = time.time() - 7200
    os.utime(ours, (old, old))  # an hour-old temporary is stale whoever wrote it
    assert remove_stale_temps(tmp_path / "rules") == [ours]


def test_write_tree_sweeps_leftovers_and_keeps_modes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    leftover = out / "rules" / "tests" / ".x.test.yml.slo-tmp-999999999-00"
    leftover.parent.mkdir(parents=True)
    leftover.write_text("torn")
    written, _ = write_tree(out, {"rules/x.rules.yml": "a: 1\n", "rules/tests/x.test.yml": "b: 2\n"})
    assert written == ["rules/tests/x.test.yml", "rules/x.rules.yml"] and not leftover.exists()
    umask = os.umask(0o022)
    os.umask(umask)
    mode = stat.S_IMODE((out / "rules" / "x.rules.yml").stat().st_mode)
    assert mode == 0o666 & ~umask  # readable by a Prometheus running as another user, as with open()
    (out / "rules" / "x.rules.yml").chmod(0o640)
    write_tree(out, {"rules/x.rules.yml": "a: 2\n", "rules/tests/x.test.yml": "b: 2\n"})
    assert stat.S_IMODE((out / "rules" / "x.rules.yml").stat().st_mode) == 0o640  # a replaced file keeps its mode
    report = tmp_path / "report.json"
    write_atomic(report, "{}\n", mode=0o600)
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "report.json"]
