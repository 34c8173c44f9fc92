"""The local stack used by ``slo demo``, ``slo backtest``/``backfill``, the tests and the benchmarks.

Real ``prometheus`` and ``alertmanager`` processes on 127.0.0.1, each bounded by ``timeout`` so none
outlives its run, over history written as OpenMetrics and turned into TSDB blocks by promtool:

- :mod:`slo.local.metrics_text`: OpenMetrics writing (as promtool reads it) and text exposition;
- :mod:`slo.local.tsdb`: TSDB blocks from series and from recording rules, rule files;
- :mod:`slo.local.servers`: the bounded process and the Prometheus server with its HTTP API;
- :mod:`slo.local.scrape_endpoint`: a live ``/metrics`` target;
- :mod:`slo.local.alertmanager`: the Alertmanager server and a webhook receiver;
- :mod:`slo.local.demo`: ``slo demo``, the whole chain from an outage to a page.
"""
