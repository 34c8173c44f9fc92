"""`slo demo`: the whole alerting chain on this machine, from an outage to a page.

A synthetic exporter serves the series the definitions' selectors match (label values found by the
same solver the generated unit tests use). Its history (default 26 hours, so the 1-day windows are
full) is backfilled with promtool, including the base recording rules the long windows aggregate.
Then Prometheus scrapes the exporter every 15s and evaluates the *generated, unmodified* rule files
at their own intervals, Alertmanager runs the generated routing with every receiver pointed at a
local webhook, and the exporter's service goes down: every request fails, is slow, every probe fails.
The run ends when the first page arrives (or at the deadline) and reports what reached which
receiver and how long after the outage started.

Everything listens on 127.0.0.1, lives in a temporary directory and stops on return, on error and on
Ctrl-C; each process also runs under ``timeout`` so none can outlive a killed demo.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import yaml

from generators import promtool_tests, synthetic
from generators.bundle import artifacts
from slo.loaders import Definitions
from slo.local.alertmanager import AlertmanagerServer, Notification, WebhookReceiver
from slo.local.metrics_text import Series, exposition, write_openmetrics
from slo.local.scrape_endpoint import MetricsEndpoint
from slo.local.servers import PrometheusServer
from slo.local.tsdb import backfill_openmetrics, backfill_rules, move_blocks, only_records, write_rules
from slo.model.errors import SpecError
from slo.model.routing import make_routing
from slo.model.service import Service
from slo.promql.recorded import BAD_RATE, SLICE_BAD, SLICE_ERROR, TOTAL_RATE

SCRAPE = 15  # seconds: Prometheus' usual scrape interval, which the seeds' 2-minute MTTD assumes
RATE = 50.0  # synthetic requests per second per series
MIN_HISTORY = 26 * 3600  # the 1-day ticket windows full, plus the 2h short window before them
# Recording rules the windows aggregate over, by level: level 2 reads level 1's output, so each level
# is backfilled against a Prometheus that already holds the previous one.
BASE_RECORDS: tuple[tuple[str, ...], ...] = ((BAD_RATE, TOTAL_RATE, SLICE_ERROR), (SLICE_BAD,))


@dataclass
class Traffic:
    """Every series the SLOs of some services read, as functions of time, with an optional outage.

    Counters grow at :data:`RATE`; during the outage of ``broken`` every event of its SLOs is bad
    (errors, slow requests, failed probes). Backfill and live scrapes use the same functions, so the
    history joins the live series without a step.
    """

    services: Sequence[Service]
    broken: str
    origin: float
    outage_start: float | None = None
    series: list[tuple[str, str, dict[str, str], str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        seen: set[tuple[str, str]] = set()
        for service in self.services:
            for slo in service.slos:
                try:
                    parts = synthetic.sli_series(slo)
                except synthetic.Unsupported as exc:
                    self.skipped.append((f"{service.name}/{slo.name}", str(exc)))
                    continue
                if any(role == "histogram" for role, _, _ in parts):
                    reason = "a native histogram: the demo serves the text exposition, which has no native histograms"
                    self.skipped.append((f"{service.name}/{slo.name}", reason))
                    continue
                for role, metric, labels in parts:
                    key = (metric, synthetic.series_text(metric, labels))
                    if key not in seen:  # two SLOs reading one series: it is served once
                        seen.add(key)
                        self.series.append((service.name, metric, labels, role))

    def _bad_seconds(self, service: str, t: float) -> float:
        if service != self.broken or self.outage_start is None:
            return 0.0
        return max(0.0, t - self.outage_start)

    def value(self, service: str, role: str, t: float) -> float:
        """The series' value at ``t``: a counter for good/bad/total, 0 or 1 for a probe."""
        bad = self._bad_seconds(service, t)
        if role == "probe":
            return 0.0 if bad > 0 else 1.0
        total = RATE * (t - self.origin)
        return {"total": total, "bad": RATE * bad, "good": total - RATE * bad}[role]

    def samples(self, t: float) -> Iterator[tuple[str, dict[str, str], float]]:
        for service, metric, labels, role in self.series:
            yield metric, labels, self.value(service, role, t)

    def history(self, end: float) -> list[Series]:
        """Samples every :data:`SCRAPE` seconds from ``origin`` to ``end``, as OpenMetrics series.

        All are written as gauges: histogram parts (``_bucket``, ``_count``) are not ``_total``
        counters in OpenMetrics' sense, and PromQL's rate() does not look at the type.
        """
        times = [self.origin + i * SCRAPE for i in range(int((end - self.origin) // SCRAPE) + 1)]
        return [
            Series(metric, labels, [(t, self.value(service, role, t)) for t in times], "gauge")
            for service, metric, labels, role in self.series
        ]

    def live(self) -> str:
        return exposition(self.samples(time.time()))


@dataclass(frozen=True)
class Page:
    """A notification that reached a receiver, and how long after the outage began."""

    receiver: str
    severity: str
    alerts: tuple[tuple[str, str, str], ...]  # (slo, alertname, tier)
    seconds_after_outage: float


@dataclass
class DemoResult:
    service: str
    outage_start: float
    pages: list[Page]
    tickets: list[Page]
    suppressed: list[tuple[str, str, str]]  # (slo, alertname, severity) held back by inhibition
    expected: list[tuple[str, str]]  # (slo, what the rules promise for a total outage)
    skipped: list[tuple[str, str]]
    report: str | None
    workdir: Path

    @property
    def detected(self) -> bool:
        return bool(self.pages)

    @property
    def time_to_detect(self) -> float | None:
        return min(p.seconds_after_outage for p in self.pages) if self.pages else None


def expectations(service: Service) -> list[tuple[str, str]]:
    """Per SLO, what its fastest page promises for a total outage (from the same math as the unit tests)."""
    out = []
    for slo in service.slos:
        if slo.alerting is None or not slo.alerting.tiers:
            out.append((slo.name, "alerting disabled"))
            continue
        tier = promtool_tests.fastest_page(slo)
        if tier is None:
            out.append((slo.name, "no page tier a total outage can trip"))
            continue
        minutes = promtool_tests.detection_minutes(slo, tier)
        out.append((slo.name, f"{tier.name} within {minutes:g} min (unit-test bound)"))
    return out


def _fastest_page_minutes(service: Service, skipped: set[str]) -> float | None:
    """The unit-test bound of the service's fastest page among SLOs that get synthetic traffic."""
    bounds = []
    for slo in service.slos:
        if f"{service.name}/{slo.name}" in skipped or slo.alerting is None:
            continue
        tier = promtool_tests.fastest_page(slo)
        if tier is not None:
            bounds.append(promtool_tests.detection_minutes(slo, tier))
    return min(bounds) if bounds else None


def demo_definitions(defs: Definitions, receiver: WebhookReceiver) -> tuple[Definitions, dict[str, str]]:
    """The definitions with routing (the user's, or critical→pager, warning→chat) and webhook URLs.

    Returns the definitions and the Alertmanager config text whose receivers all post to
    ``receiver`` at ``/<receiver name>``; routes, grouping, timing and inhibitions stay as generated.
    """
    from slo.dsl.routing import webhook

    if defs.routing is None:
        routing = make_routing(
            [webhook("pager", url=receiver.url("/pager")), webhook("chat", url=receiver.url("/chat"))],
            critical="pager",
            warning="chat",
        )
        defs = dataclasses.replace(defs, routing=routing, routing_origin="slo demo (default routing)")
    files = artifacts(defs)
    config = yaml.safe_load(files["alertmanager/alertmanager.yml"])
    config["receivers"] = [
        {"name": r["name"], "webhook_configs": [{"url": receiver.url(f"/{r['name']}"), "send_resolved": False}]}
        for r in config["receivers"]
    ]
    config.pop("templates", None)
    files["alertmanager/alertmanager.yml"] = yaml.safe_dump(config, sort_keys=False)
    return defs, files


def month_to_date(now: float | None = None) -> float:
    """Seconds since the start of the current UTC month: history for a month-to-date report."""
    now_dt = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    return (now_dt - now_dt.replace(day=1, hour=0, minute=0, second=0, microsecond=0)).total_seconds()


def _pick_service(defs: Definitions, name: str | None) -> Service:
    if name is None:
        return defs.services[0]
    for service in defs.services:
        if service.name == name:
            return service
    names = ", ".join(s.name for s in defs.services)
    raise SpecError(f"--service {name}: no such service (defined: {names})")


def _backfill(
    workdir: Path, data: Path, traffic: Traffic, rule_paths: Sequence[Path], now: float, say: Callable[[str], None]
) -> None:
    om = workdir / "history.om"
    samples = write_openmetrics(traffic.history(now), om)
    backfill_openmetrics(om, data)
    hours = (now - traffic.origin) / 3600
    say(f"backfilled {hours:.1f}h of history: {len(traffic.series)} series, {samples:,} samples")
    docs = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in rule_paths]
    for level, names in enumerate(BASE_RECORDS, 1):
        wanted = [only_records(doc, names) for doc in docs]
        wanted = [w for w in wanted if w["groups"]]
        if not wanted:
            continue
        with PrometheusServer(data, max_runtime=600) as server:
            blocks = workdir / f"records-{level}"
            for i, doc in enumerate(wanted):
                path = write_rules(doc, workdir / f"records-{level}-{i}.yml")
                backfill_rules(path, blocks, server.url, traffic.origin + 300, now)
        move_blocks(blocks, data)
        say(f"backfilled recording rules ({', '.join(names)})")


def is_page(service: Service, labels: Mapping[str, str]) -> bool:
    """Whether an alert is a page: its burn-rate tier's severity in the model (a policy may relabel
    ``severity``, as Sloth specs do with e.g. ``pageteam``), else its ``severity`` label."""
    slo = next((s for s in service.slos if s.name == labels.get("slo")), None)
    if slo is not None and slo.alerting is not None and "tier" in labels:
        tier = next((t for t in slo.alerting.tiers if t.name == labels["tier"]), None)
        if tier is not None:
            return tier.severity == "critical"
    return labels.get("severity") == "critical"


def _pages(service: Service, notes: Sequence[Notification], outage: float) -> tuple[list[Page], list[Page]]:
    pages, tickets = [], []
    for note in notes:
        alerts = tuple(
            (a["labels"].get("slo", ""), a["labels"].get("alertname", ""), a["labels"].get("tier", ""))
            for a in note.alerts
        )
        paging = any(is_page(service, a["labels"]) for a in note.alerts)
        severity = ",".join(sorted({a["labels"].get("severity", "") for a in note.alerts}))
        page = Page(note.body.get("receiver", note.path.strip("/")), severity, alerts, note.received - outage)
        (pages if paging else tickets).append(page)
    return pages, tickets


def _month_to_date_report(defs: Definitions, service: Service, url: str, now: float) -> str:
    from slo.report.client import Connection, PromClient
    from slo.report.periods import span_period
    from slo.report.render import render
    from slo.report.run import build

    end = datetime.fromtimestamp(now, UTC).replace(second=0, microsecond=0)
    start = end.replace(day=1, hour=0, minute=0, second=0)
    if start == end:
        return "(the month started just now: nothing to report)"
    period = span_period(start.isoformat(), end.isoformat(), "UTC")
    slos = [(service, slo) for slo in service.slos]
    with PromClient(Connection(url=url, timeout=30.0, retries=2)) as client:
        result = build(client, slos, period, None, concurrency=4, progress=False)
    return render(result, "table")


def run(
    defs: Definitions,
    *,
    service_name: str | None = None,
    history: float = MIN_HISTORY,
    healthy: float = 30.0,
    deadline: float = 300.0,
    after_page: float = 15.0,
    keep: Path | None = None,
    with_report: bool = True,
    say: Callable[[str], None] = print,
) -> DemoResult:
    """Run the demo; returns what was delivered. ``deadline`` bounds the wait for the page (seconds)."""
    service = _pick_service(defs, service_name)
    with ExitStack() as stack:
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            workdir = keep
        else:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="slo-demo-")))
        receiver = stack.enter_context(WebhookReceiver())
        defs, files = demo_definitions(defs, receiver)
        rule_paths = []
        for rel, text in files.items():
            path = workdir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            if rel.startswith("rules/") and rel.endswith((".rules.yml", ".alerts.yml")) and rel.count("/") == 1:
                rule_paths.append(path)
        now = time.time()
        traffic = Traffic(defs.services, service.name, origin=now - history)
        for name, why in traffic.skipped:
            say(f"note: {name}: no synthetic traffic ({why})")
        if not any(owner == service.name for owner, *_ in traffic.series):
            raise SpecError(
                f"slo demo: no SLO of service {service.name!r} can be given synthetic traffic "
                "(opaque PromQL only); pick another with --service"
            )
        fastest = _fastest_page_minutes(service, {name for name, _ in traffic.skipped})
        if fastest is None:
            say(f"note: no SLO of {service.name} has a page tier a total outage can trip: waiting for nothing")
        elif fastest * 60 > deadline:
            say(f"note: the fastest page of {service.name} needs up to {fastest:g} min; raise --timeout to see it")
        data = workdir / "prometheus"
        _backfill(workdir, data, traffic, rule_paths, now, say)

        alertmanager = AlertmanagerServer(
            workdir / "alertmanager-data", config=workdir / "alertmanager/alertmanager.yml", max_runtime=deadline + 300
        )
        stack.enter_context(alertmanager)
        say(f"alertmanager on {alertmanager.url} (generated routing, receivers → local webhook)")
        endpoint = stack.enter_context(MetricsEndpoint(traffic.live))
        prometheus = PrometheusServer(
            data,
            rule_files=rule_paths,
            scrape_configs=[endpoint.scrape_config(job_name="demo", interval=f"{SCRAPE}s")],
            scrape_interval=f"{SCRAPE}s",
            evaluation_interval="30s",
            alertmanagers=[alertmanager.url],
            max_runtime=deadline + 300,
        )
        stack.enter_context(prometheus)
        say(f"prometheus on {prometheus.url} (scrape {SCRAPE}s, generated rule files unchanged)")
        say(f"healthy traffic for {healthy:g}s ...")
        time.sleep(healthy)
        early = receiver.firing()
        if early:
            say(f"warning: {len(early)} notification(s) before the outage: {[n.path for n in early]}")
        traffic.outage_start = time.time()
        stamp = datetime.fromtimestamp(traffic.outage_start, UTC).strftime("%H:%M:%S")
        say(f"{stamp} outage: every request of {service.name} fails and is slow, every probe fails")

        def paged(notes: list[Notification]) -> bool:
            return any(
                n.received > traffic.outage_start and is_page(service, a["labels"]) for n in notes for a in n.alerts
            )

        receiver.wait(paged, deadline)
        if paged(receiver.firing()):
            time.sleep(after_page)  # several group intervals: an inhibited ticket would have arrived by now
        notes = [n for n in receiver.firing() if n.received > traffic.outage_start]
        pages, tickets = _pages(service, notes, traffic.outage_start)
        suppressed = [
            (a["labels"].get("slo", ""), a["labels"].get("alertname", ""), a["labels"].get("severity", ""))
            for a in alertmanager.alerts()
            if a.get("status", {}).get("state") == "suppressed"
        ]
        report = _month_to_date_report(defs, service, prometheus.url, time.time()) if with_report else None
        return DemoResult(
            service=service.name,
            outage_start=traffic.outage_start,
            pages=pages,
            tickets=tickets,
            suppressed=sorted(suppressed),
            expected=expectations(service),
            skipped=traffic.skipped,
            report=report,
            workdir=workdir,
        )
    raise AssertionError("unreachable")  # pragma: no cover


def summary(result: DemoResult) -> str:
    """What happened, for people: pages, tickets, inhibitions, time to detect, and the SLOs' promises."""
    lines = []
    if result.pages:
        for page in result.pages:
            slos = ", ".join(sorted({f"{slo} ({tier or name})" for slo, name, tier in page.alerts}))
            lines.append(
                f"PAGE    → {page.receiver}: {result.service} {slos}, {page.seconds_after_outage:.0f}s after the outage"
            )
            if page.severity != "critical":
                lines.append(
                    f"  note: its severity label is {page.severity!r}, not 'critical': routing that sends "
                    "severity=critical to the pager does not treat it as a page"
                )
    else:
        lines.append(f"no page reached a receiver for {result.service} before the deadline")
    for ticket in result.tickets:
        slos = ", ".join(sorted({f"{slo} ({tier or name})" for slo, name, tier in ticket.alerts}))
        lines.append(f"TICKET  → {ticket.receiver}: {slos}, {ticket.seconds_after_outage:.0f}s after the outage")
    for slo, name, severity in result.suppressed:
        lines.append(f"INHIBITED {severity} {name} of {slo} (a page of the same SLO is firing)")
    ttd = result.time_to_detect
    if ttd is not None:
        verdict = "within" if ttd < 120 else "OVER"
        lines.append(f"time to detect: {ttd:.0f}s ({verdict} the seeds' 2-minute target)")
    lines.append("what the rules promise for a total outage:")
    lines += [f"  {slo}: {what}" for slo, what in result.expected]
    lines += [f"  {name}: not exercised ({why})" for name, why in result.skipped]
    return "\n".join(lines)
