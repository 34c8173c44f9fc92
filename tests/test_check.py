"""`slo check` against a real Prometheus and Alertmanager on 127.0.0.1, with deliberate mistakes.

One Prometheus for the module: ten days of synthetic history (backfilled with promtool), continued
live by a scrape endpoint so the generated rules evaluate on fresh samples. It loads the generated
rules of the clean service ``shop`` and of ``broken`` (whose file has one rule replaced by a
many-to-many match that fails at every evaluation); the rules of ``faults`` are not loaded. The
``faults`` SLOs each carry one mistake: a typo in a label value, a threshold between buckets, a
service that went quiet four days ago, an objective the history never met. One Alertmanager runs
the config generated for ``shop``; a second routing (another ``group_wait``) stands for a stale one.
The pure pieces (matcher reduction, tier math, config diff, silence matching) are tested directly.
"""

from __future__ import annotations

import json
import math
import re
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from slo.cli import main
from slo.commands.common import artifacts, definitions
from slo.live_check import alertmanager_state, deployed, matching, traffic
from slo.live_check.history import Day, best_window
from slo.local.alertmanager import AlertmanagerServer
from slo.local.metrics_text import Series, exposition, write_openmetrics
from slo.local.scrape_endpoint import MetricsEndpoint
from slo.local.servers import PrometheusServer, free_port
from slo.local.tsdb import backfill_openmetrics
from slo.model.alert_policy import DEFAULT_TIERS
from slo.model.durations import Duration
from slo.model.periods import Rolling
from slo.model.selectors import Matcher, Selector
from slo.model.service import SLO
from slo.model.sli import RatioSLI, TimeSliceSLI

DAY = 86400
HISTORY = 10 * DAY
QUIET_FOR = 4 * DAY  # the quiet service has been quiet for the last four days
STEP = 120
WAIT = 120.0

SHOP = """
from slo import availability, error_rate, latency, regex, routing, service, uptime, webhook

SHOP = {"job": "shop", "handler": "/checkout"}
shop = service(
    "shop",
    availability("checkout", 99.9, "http_requests_total", errors={"code": regex("5..")}, labels=SHOP),
    latency("latency", 95, "http_request_duration_seconds", under="250ms", labels=SHOP),
    uptime("uptime", 99.9, "probe_success", labels={"job": "blackbox", "instance": "shop"}),
    error_rate("errors", 99, "http_requests_total", errors={"code": regex("5..")}, below="0.1%", labels=SHOP),
    team="web",
)
routes = routing(
    webhook("pager", url="http://127.0.0.1:9/pager"),
    webhook("chat", url="http://127.0.0.1:9/chat"),
    critical="pager",
    warning="chat",
    group_wait="GROUP_WAIT",
)
"""

FAULTS = """
from slo import availability, latency, regex, service

errors = {"code": regex("5..")}
checkout = {"job": "shop", "handler": "/checkout"}
faults = service(
    "faults",
    availability("typo", 99.9, "http_requests_total", errors=errors, labels={"job": "shop", "handler": "/chekout"}),
    latency("bucket", 95, "http_request_duration_seconds", under="200ms", labels=checkout),
    availability("quiet", 99.9, "http_requests_total", errors=errors, labels={"job": "quiet"}),
    availability("ambitious", 99.99, "http_requests_total", errors=errors, labels=checkout),
)
"""

BROKEN = """
from slo import availability, regex, service

labels = {"job": "shop", "handler": "/broken"}
errors = {"code": regex("5..")}
broken = service("broken", availability("api", 99.9, "http_requests_total", errors=errors, labels=labels))
"""

MANY_TO_MANY = 'http_requests_total{job="shop"} * on(job) http_requests_total{job="shop"}'
BUCKETS = (("0.1", 0.6), ("0.25", 0.97), ("0.5", 0.99), ("1", 0.999), ("+Inf", 1.0))


@dataclass(frozen=True)
class World:
    prometheus: PrometheusServer
    alertmanager: AlertmanagerServer
    sources: dict[str, Path]
    now: float


class Synthetic:
    """Counters as functions of wall-clock time, so the backfill and the live endpoint agree."""

    def __init__(self, origin: float, quiet_from: float) -> None:
        self.origin = origin
        self.quiet_from = quiet_from

    def samples(self, t: float) -> Iterator[tuple[str, dict[str, str], float, str]]:
        up = t - self.origin
        checkout = {"job": "shop", "instance": "app-1", "handler": "/checkout"}
        yield "http_requests_total", {**checkout, "code": "200"}, 9.995 * up, "counter"
        yield "http_requests_total", {**checkout, "code": "500"}, 0.005 * up, "counter"
        for le, share in BUCKETS:
            yield "http_request_duration_seconds_bucket", {**checkout, "le": le}, 10 * share * up, "gauge"
        yield "http_request_duration_seconds_count", checkout, 10 * up, "gauge"
        broken = {"job": "shop", "instance": "app-1", "handler": "/broken"}
        yield "http_requests_total", {**broken, "code": "200"}, 0.5 * up, "counter"
        yield "http_requests_total", {**broken, "code": "500"}, 0.5 * up, "counter"
        busy = min(t, self.quiet_from) - self.origin
        quiet = max(0.0, t - self.quiet_from)
        yield (
            "http_requests_total",
            {"job": "quiet", "instance": "app-2", "code": "200"},
            10 * busy + quiet * 2 / 3600,
            "counter",
        )
        yield "http_requests_total", {"job": "quiet", "instance": "app-2", "code": "500"}, 0.0, "counter"
        yield "probe_success", {"job": "blackbox", "instance": "shop"}, 1.0, "gauge"

    def history(self, end: float) -> list[Series]:
        points: dict[tuple[str, str], tuple[str, dict[str, str], str, list[tuple[float, float]]]] = {}
        t = self.origin
        while t <= end:
            for name, labels, value, kind in self.samples(t):
                key = (name, json.dumps(labels, sort_keys=True))
                points.setdefault(key, (name, labels, kind, []))[3].append((t, value))
            t += STEP
        return [Series(n, labels, pts, kind) for n, labels, kind, pts in points.values()]  # type: ignore[arg-type]

    def render(self) -> str:
        return exposition((n, labels, v) for n, labels, v, _ in self.samples(time.time()))


def _write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _rule_file(source: Path, out: Path, break_rule: str | None = None) -> Path:
    """The generated rule file of ``source``; with ``break_rule``, that record's expr made to fail."""
    files = artifacts(definitions((str(source),)))
    (path,) = [p for p in files if p.startswith("rules/") and p.endswith(".rules.yml")]
    doc = yaml.safe_load(files[path])
    if break_rule:
        for group in doc["groups"]:
            for rule in group["rules"]:
                if rule.get("record") == break_rule:
                    rule["expr"] = MANY_TO_MANY
    out.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return out


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.load(resp)


def _wait_evaluated(prom: PrometheusServer) -> None:
    """Until every 30s group evaluated twice after the live scrape began and the broken page fires.

    The 1m groups run first at their own offset within the minute; `slo check` does not count a group
    as stuck before its first interval has passed, so the tests need not wait for them.
    """
    deadline = time.monotonic() + WAIT
    first: dict[str, str] | None = None
    while time.monotonic() < deadline:
        groups = _get(f"{prom.url}/api/v1/rules")["data"]["groups"]
        fast = {str(g["name"]): str(g.get("lastEvaluation", "")) for g in groups if g.get("interval") == 30}
        evaluated = all(not t.startswith("0001") for t in fast.values())
        alerts = _get(f"{prom.url}/api/v1/alerts")["data"]["alerts"]
        firing = [a for a in alerts if a["labels"].get("service") == "broken" and a["state"] == "firing"]
        if first is None and fast and evaluated and firing:
            first = fast
        # Then once more each: an evaluation right after the first live scrape may find a single sample of a
        # source, too few for a rate or a slice, and record nothing until the next one (seen under load).
        if first is not None and all(fast.get(name) != t for name, t in first.items()):
            return
        time.sleep(1)
    raise AssertionError(f"rules not evaluated within {WAIT:.0f}s (see {prom.log_path})")


@pytest.fixture(scope="module")
def world(prometheus_bin: str, alertmanager_bin: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("check")
    sources = {
        "shop": _write(base / "shop.py", SHOP.replace("GROUP_WAIT", "10s")),
        "faults": _write(base / "faults.py", FAULTS),
        "broken": _write(base / "broken.py", BROKEN),
    }
    stale = base / "stale"
    stale.mkdir()
    sources["stale"] = _write(stale / "shop.py", SHOP.replace("GROUP_WAIT", "45s"))
    now = float(int(time.time()))
    synthetic = Synthetic(now - HISTORY, now - QUIET_FOR)
    write_openmetrics(synthetic.history(now - 30), base / "history.om")
    data = base / "prometheus"
    backfill_openmetrics(base / "history.om", data)
    rules = [
        _rule_file(sources["shop"], base / "shop.rules.yml"),
        _rule_file(sources["broken"], base / "broken.rules.yml", break_rule="slo:sli_error:ratio_rate30m"),
    ]
    am_config = base / "alertmanager.yml"
    am_config.write_text(artifacts(definitions((str(sources["shop"]),)))["alertmanager/alertmanager.yml"])
    with MetricsEndpoint(synthetic.render) as endpoint:
        prom = PrometheusServer(
            data,
            rule_files=rules,
            scrape_configs=[endpoint.scrape_config("synthetic", "5s")],
            ready_timeout=WAIT,
            max_runtime=600,
        )
        with prom, AlertmanagerServer(base / "am", config=am_config, ready_timeout=WAIT, max_runtime=600) as am:
            _wait_evaluated(prom)
            yield World(prom, am, sources, now)


def check(world: World, *sources: str, extra: tuple[str, ...] = ()) -> tuple[int, str, dict[str, Any]]:
    """Run ``slo check --format json``; (exit code, stderr, parsed output)."""
    args = ["check", *(str(world.sources[s]) for s in sources), "--prometheus", world.prometheus.url]
    result = CliRunner().invoke(main, [*args, "--format", "json", "--retries", "0", *extra])
    doc = json.loads(result.stdout) if result.stdout.strip() else {}
    return result.exit_code, result.stderr, doc


def messages(doc: dict[str, Any], check_name: str, subject: str | None = None) -> list[str]:
    return [
        f"{f['severity']}: {f['message']} | {f['fix']}"
        for f in doc["findings"]
        if f["check"] == check_name and (subject is None or f["subject"] == subject)
    ]


# ---------------------------------------------------------------------------------------------
# Live


def test_clean_setup_reports_nothing(world: World) -> None:
    code, err, doc = check(world, "shop", extra=("--alertmanager", world.alertmanager.url))
    assert doc["findings"] == [], doc["findings"]
    assert code == 0, err
    facts = doc["slos"]
    assert facts["shop/latency"]["boundaries"] == [0.1, 0.25, 0.5, 1.0, "+Inf"]
    quietest = facts["shop/checkout"]["traffic"]["quietest_hour"]
    assert 35_000 < quietest < 37_000  # 10 requests per second
    assert facts["shop/checkout"]["best_period_sli"] == pytest.approx(0.9995, abs=1e-4)
    table = CliRunner().invoke(main, ["check", str(world.sources["shop"]), "--prometheus", world.prometheus.url])
    assert table.exit_code == 0 and table.stdout.startswith("OK: no findings"), table.stdout


def test_faults_are_each_found_with_their_message(world: World) -> None:
    code, _, doc = check(world, "faults")
    assert code == 1
    (typo,) = messages(doc, "selector", "faults/typo")
    assert 'without handler="/chekout" it matches' in typo
    assert '"/checkout"' in typo and 'handler="/checkout" instead of "/chekout"' in typo
    (bucket,) = messages(doc, "bucket", "faults/bucket")
    assert "threshold 0.2s is not a bucket boundary" in bucket
    assert "boundaries found 0.1, 0.25, 0.5, 1, +Inf" in bucket and "0.1s or 0.25s" in bucket
    quiet = messages(doc, "traffic", "faults/quiet")
    assert len(quiet) == len(DEFAULT_TIERS), quiet  # at 2 requests an hour every default tier is affected
    (fast,) = [m for m in quiet if m.startswith("warning: fast-page (critical)")]
    quiet_slo = definitions((str(world.sources["faults"]),)).services[0].slos[2]
    if traffic.guard_min_bad_events(quiet_slo, DEFAULT_TIERS[0]) > 2:
        # The low-traffic guard needs more bad events than the quiet hour has requests: blind.
        assert "holds ~1.9" in fast or "holds ~2 " in fast
        assert "even a total outage does not fire this tier" in fast
    else:
        assert "a single error burns" in fast and "so one failed request fires it" in fast
    (never,) = messages(doc, "objective", "faults/ambitious")
    assert re.search(r"objective 99\.99% was never met in 1[01] days of history", never), never
    assert "99.95%" in never
    (not_loaded,) = messages(doc, "rules", "rules/faults.rules.yml")
    assert "not loaded: none of its 8 rule group(s) (slo:faults:typo, slo:faults:typo:long," in not_loaded
    # The correct parts of the faulty definitions are not reported.
    assert not messages(doc, "selector", "faults/quiet") and not messages(doc, "traffic", "faults/typo")
    assert not messages(doc, "objective", "faults/quiet")


def test_at_evaluates_the_data_as_of_a_past_time(world: World) -> None:
    before_quiet = datetime.fromtimestamp(world.now - QUIET_FOR - 3600, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    _, _, doc = check(world, "faults", extra=("--at", before_quiet))
    assert not messages(doc, "traffic", "faults/quiet"), doc["findings"]
    assert doc["at"].startswith(before_quiet[:13])
    assert doc["slos"]["faults/quiet"]["traffic"]["quietest_hour"] > 30_000


def test_failing_rule_and_changed_rule_are_named(world: World) -> None:
    code, _, doc = check(world, "broken")
    assert code == 1
    rules = messages(doc, "rules", "slo:broken:api")
    failed = "rule slo:sli_error:ratio_rate30m failed at its last evaluation"
    assert any(failed in m and "many-to-many matching not allowed" in m for m in rules), rules
    changed = 'rule slo:sli_error:ratio_rate30m{slo=api}: expr is `http_requests_total{job="shop"} * on (job) http_'
    assert any("differs from rules/broken.rules.yml" in m and changed in m for m in rules), rules
    assert not messages(doc, "rules", "slo:broken:api:long"), "the slow group is as generated"
    firing = messages(doc, "firing", "broken/api")
    assert any("SLOErrorBudgetBurn" in m and "tier=fast-page" in m for m in firing), firing


def test_stale_alertmanager_config_is_named(world: World) -> None:
    code, _, doc = check(world, "stale", extra=("--alertmanager", world.alertmanager.url))
    assert code == 1
    (stale,) = messages(doc, "alertmanager")
    assert "route.group_wait: running '10s', generated '45s'" in stale


def test_silence_over_slo_alerts_is_reported(world: World) -> None:
    now = datetime.now(UTC)
    body = {
        "matchers": [
            {"name": "service", "value": "shop", "isRegex": False, "isEqual": True},
            {"name": "alertname", "value": "SLOErrorBudget.*", "isRegex": True, "isEqual": True},
        ],
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(hours=1)).isoformat(),
        "createdBy": "test",
        "comment": "maintenance",
    }
    req = urllib.request.Request(
        f"{world.alertmanager.url}/api/v2/silences",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        silence_id = json.load(resp)["silenceID"]
    try:
        code, _, doc = check(world, "shop", extra=("--alertmanager", world.alertmanager.url))
    finally:
        urllib.request.urlopen(
            urllib.request.Request(f"{world.alertmanager.url}/api/v2/silence/{silence_id}", method="DELETE"),
            timeout=10,
        ).close()
    assert code == 1
    (silence,) = messages(doc, "silence", silence_id)
    assert "silence by test" in silence and "'maintenance'" in silence
    assert "SLOErrorBudgetBurn shop/checkout" in silence and "SLOMetricAbsent" not in silence


def test_unreachable_servers_exit_2(world: World) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(main, ["check", str(world.sources["shop"]), "--prometheus", closed, "--retries", "0"])
    assert result.exit_code == 2 and "connection refused" in result.stderr, result.stderr
    result = CliRunner().invoke(
        main,
        [
            *("check", str(world.sources["shop"]), "--prometheus", world.prometheus.url),
            *("--alertmanager", closed, "--retries", "0"),
        ],
    )
    assert result.exit_code == 2 and "Alertmanager" in result.stderr, result.stderr


# ---------------------------------------------------------------------------------------------
# Pure pieces


def test_reductions_leave_out_one_typed_matcher_each() -> None:
    sel = Selector("m", (Matcher("job", "=", "a"), Matcher("code", "=~", "5..")))
    reduced = dict((m.label, s) for m, s in matching.reductions(sel))
    assert reduced["job"] == Selector("m", (Matcher("code", "=~", "5.."),))
    assert reduced["code"].render() == 'm{job="a"}'
    assert matching.suggestion(Matcher("h", "=", "/chekout"), ("/broken", "/checkout")) == "/checkout"
    assert matching.suggestion(Matcher("h", "=~", "/chekout"), ("/checkout",)) is None


def _ratio_slo(objective: float, sliced: bool = False) -> SLO:
    sli: Any = RatioSLI(Selector("t_total"), bad=Selector("t_total", (Matcher("code", "=", "500"),)))
    if sliced:
        sli = TimeSliceSLI(sli, Duration.parse("5m"), 0.999)
    return SLO("x", objective, sli, Rolling(Duration.parse("30d")))


def test_single_error_burn_per_tier(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(traffic, "guard_min_bad_events", lambda slo, tier: 0)  # rules without the guard
    slo = _ratio_slo(99.9)
    fast, slow_page, fast_ticket, slow_ticket = slo.alerting.tiers  # type: ignore[union-attr]
    # 2 requests an hour: the 1h window holds 2, one error is a 500x burn against 14.4.
    quiet = traffic.tier_traffic(slo, fast, 2)
    assert quiet.requests_long == pytest.approx(2)
    assert quiet.single_error_burn == pytest.approx(500)
    assert quiet.single_error_fires and quiet.bad_to_fire == 1
    # 100 requests an hour over 3 days is 7,200 requests: one error is 1/7200/0.001 = 0.139x < 1.
    busy = traffic.tier_traffic(slo, slow_ticket, 100)
    assert not busy.single_error_fires
    assert busy.bad_to_fire == math.floor(1 * 0.001 * 7200) + 1
    # At 36,000 requests an hour the fast page needs 14.4 × 0.1% × 36,000 = 518.4 → 519 bad events.
    assert traffic.tier_traffic(slo, fast, 36_000).bad_to_fire == 519
    assert not traffic.tier_traffic(slo, slow_page, 36_000).single_error_fires
    assert fast_ticket.name == "fast-ticket"
    # With a guard of 10 bad events: one error no longer fires; 2 requests an hour cannot fire at all.
    monkeypatch.setattr(traffic, "guard_min_bad_events", lambda slo, tier: 10)
    guarded = traffic.tier_traffic(slo, fast, 2)
    assert guarded.guarded and guarded.blind and guarded.bad_to_fire == 10
    assert not traffic.tier_traffic(slo, fast, 36_000).blind


def test_single_error_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    from slo.model.service import Service

    service = Service("s", (_ratio_slo(99.9),))
    quiet = traffic.Traffic((2.0,) * 100 + (3.0,) * 68)
    monkeypatch.setattr(traffic, "guard_min_bad_events", lambda slo, tier: 0)
    found, facts = traffic.check_traffic(service, service.slos[0], quiet)
    assert [f.severity for f in found] == ["warning"] * 4
    assert "fast-page (critical): a single error burns 500x (tier factor 14.4)" in found[0].message
    assert facts["traffic"]["quietest_hour"] == 2.0 and facts["traffic"]["median_hour"] == 2.0
    monkeypatch.setattr(traffic, "guard_min_bad_events", lambda slo, tier: 10)
    found, _ = traffic.check_traffic(service, service.slos[0], quiet)
    assert found[0].severity == "warning" and "fewer than the 10 bad events" in found[0].message
    assert [f.severity for f in found[1:]] == ["info"] * 3  # 6h holds 12 requests: guarded, not blind
    assert traffic.check_traffic(service, service.slos[0], traffic.Traffic((36_000.0,) * 168))[0] == []


def test_single_error_in_a_slice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(traffic, "guard_min_bad_events", lambda slo, tier: 0)
    slo = _ratio_slo(99, sliced=True)
    fast = slo.alerting.tiers[0]  # type: ignore[union-attr]
    # 60 requests an hour: a 5m slice holds 5; one error (20%) fails it; a bad slice is 5/60 of the
    # 1h window = 8.3x of a 1% budget, below 14.4: one error fails a slice but does not page.
    tier = traffic.tier_traffic(slo, fast, 60)
    assert tier.requests_per_slice == pytest.approx(5)
    assert tier.single_error_burn == pytest.approx((5 / 60) / 0.01)
    assert not tier.single_error_fires
    strict = SLO("y", 99.9, slo.sli, slo.period)
    assert traffic.tier_traffic(strict, fast, 60).single_error_fires  # 83x against 14.4


def test_best_window_is_the_best_period_in_the_history() -> None:
    days = [Day(i, bad, 1000) for i, bad in enumerate([5, 5, 0, 0, 5])]
    assert best_window(days, 2) == (1.0, 2)
    assert best_window(days, 30) == (pytest.approx(1 - 15 / 5000), 5)
    assert best_window([], 30) is None


def test_config_differences_name_the_path() -> None:
    ours = {
        "route": {"receiver": "a", "group_wait": "30s", "routes": [{"matchers": ['team="x"', "severity=critical"]}]},
        "receivers": [{"name": "a", "webhook_configs": [{"url": "http://h/"}]}],
    }
    theirs = {
        "route": {
            "receiver": "a",
            "group_wait": "30s",
            "routes": [{"matchers": ['severity="critical"', 'team="x"'], "continue": False}],
        },
        "receivers": [{"name": "a", "webhook_configs": [{"url": "<secret>", "send_resolved": True}]}],
        "global": {"resolve_timeout": "5m"},
    }
    assert alertmanager_state.differences(ours, theirs) == []
    theirs["route"]["routes"][0]["group_wait"] = "1m"
    theirs["route"]["group_wait"] = "1m"
    theirs["receivers"].append({"name": "b"})
    assert alertmanager_state.differences(ours, theirs) == [
        "route.group_wait: running '1m', generated '30s'",
        "route.routes[0].group_wait: running config sets '1m', the generated config does not",
        "receivers: running config has 2 entries, generated 1",
    ]


def test_silence_matching_follows_alertmanager() -> None:
    labels = {"alertname": "SLOErrorBudgetBurn", "service": "shop", "severity": "critical"}
    eq = {"name": "service", "value": "shop", "isRegex": False}
    assert alertmanager_state.silence_matches([eq], labels)
    assert not alertmanager_state.silence_matches([{**eq, "isEqual": False}], labels)
    assert alertmanager_state.silence_matches([{"name": "severity", "value": "crit.*", "isRegex": True}], labels)
    assert not alertmanager_state.silence_matches([{"name": "severity", "value": "crit", "isRegex": True}], labels)
    assert alertmanager_state.silence_matches([{"name": "team", "value": "", "isRegex": False}], labels)


def test_reprinted_expression_compares_equal() -> None:
    gen = deployed.GeneratedGroup(
        "rules/x.rules.yml",
        "g",
        30.0,
        ({"alert": "A", "expr": 'a{x="1",y=~"0\\\\.2"} > 14.4\nand\nb > 14.4', "for": "5m", "labels": {"s": "1"}},),
    )
    live = {
        "interval": 30,
        "rules": [
            {
                "type": "alerting",
                "name": "A",
                "query": 'a{x="1",y=~"0\\\\.2"} > 14.4 and b > 14.4',
                "duration": 300,
                "labels": {"s": "1"},
                "annotations": {},
            }
        ],
    }
    assert deployed.compare_group(gen, live) == []
    live["rules"][0]["query"] = "a > 14.4 and b > 1"
    live["interval"] = 60
    (interval, expr) = deployed.compare_group(gen, live)
    assert interval == "interval is 60s, generated 30s"
    assert expr.startswith("rule A: expr is `a > 14.4 and b > 1`, generated `a{")


def test_changed_label_reads_as_a_changed_label() -> None:
    gen = deployed.GeneratedGroup(
        "rules/x.rules.yml",
        "g",
        None,
        (
            {"alert": "A", "expr": "up == 0", "labels": {"severity": "critical", "tier": "t1"}},
            {"alert": "A", "expr": "up == 0", "labels": {"severity": "warning", "tier": "t2"}},
        ),
    )
    live_rule = {"type": "alerting", "name": "A", "query": "up == 0", "annotations": {}}
    live = {
        "rules": [
            {**live_rule, "labels": {"severity": "warning", "tier": "t1"}},
            {**live_rule, "labels": {"severity": "warning", "tier": "t2"}},
        ]
    }
    assert deployed.compare_group(gen, live) == [
        "rule A{severity=critical,tier=t1}: label(s) severity 'warning' (generated 'critical')"
    ]
    live["rules"].append({**live_rule, "name": "B", "labels": {}})
    assert deployed.compare_group(gen, live)[-1] == "rule B is loaded but not generated (labels {})"


def test_group_not_due_yet_is_not_stuck() -> None:
    now = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)
    files = {"rules/x.rules.yml": "groups:\n- name: g\n  interval: 1m\n  rules: []\n"}
    live = [{"name": "g", "file": "x", "interval": 60, "rules": [], "lastEvaluation": "0001-01-01T00:00:00Z"}]
    assert deployed.check_groups(files, live, [], now, started=now - timedelta(seconds=40)) == []
    (stuck,) = deployed.check_groups(files, live, [], now, started=now - timedelta(minutes=10))
    assert stuck.severity == "warning" and "never evaluated" in stuck.message
    live[0]["lastEvaluation"] = "2026-12-01T11:55:00.123456789Z"
    (late,) = deployed.check_groups(files, live, [], now)
    assert late.severity == "error" and "last evaluated 300s ago with an interval of 60s" in late.message


def test_bad_at_is_bad_input() -> None:
    args = ["check", "--prometheus", "http://127.0.0.1:9"]
    result = CliRunner().invoke(main, [*args, "--at", "yesterday"])
    assert result.exit_code == 1 and "--at: expected an ISO 8601 date or time" in result.stderr, result.stderr
    result = CliRunner().invoke(main, [*args, "--at", "2999-01-01"])
    assert result.exit_code == 1 and "is in the future" in result.stderr, result.stderr


def test_markdown_lists_findings_with_their_fix() -> None:
    from slo.live_check.findings import CheckResult, Finding, render

    result = CheckResult((Finding("error", "bucket", "s/x", "a | b", "fix it"),), {}, "T", ("deployed rules",))
    text = render(result, "markdown")
    assert "| error | bucket | s/x | a \\| b | fix it |" in text
    assert render(CheckResult((), {}, "T", ("x",)), "table") == "OK: no findings (x; data as of T)\n"
