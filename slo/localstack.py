"""Local Prometheus and Alertmanager processes for `slo demo`, tests and benchmarks: one import for the stack.

Synthetic history, backfill, bounded servers on 127.0.0.1, queries, a scrape endpoint and a webhook
receiver. Every process runs under ``timeout --kill-after``, so nothing outlives its run.

Unit tests with ``promtool test rules`` cannot show what a 30-day window over a month of recorded
series really returns, nor what it costs. This harness writes synthetic series as OpenMetrics,
turns them into TSDB blocks with ``promtool tsdb create-blocks-from openmetrics``, backfills
recording rules with ``promtool tsdb create-blocks-from rules`` and runs ``prometheus`` on a free
127.0.0.1 port, so queries can be evaluated at explicit instants in that history.

The pieces live beside this module, one job each; this module re-exports them for its many users:

* :mod:`slo.metrics_text`: OpenMetrics writing (as promtool reads it) and text exposition;
* :mod:`slo.tsdb_backfill`: TSDB blocks from series and from recording rules, rule files;
* :mod:`slo.local_servers`: the bounded process and the Prometheus server with its HTTP API;
* :mod:`slo.scrape_endpoint`: a live ``/metrics`` target;
* :mod:`slo.local_alertmanager`: the Alertmanager server and a webhook receiver.
"""

from slo.local_alertmanager import AlertmanagerServer, Notification, WebhookReceiver  # noqa: F401
from slo.local_servers import (  # noqa: F401
    LocalServer,
    PrometheusError,
    PrometheusServer,
    free_port,
    parse_metric_lines,
)
from slo.metrics_text import (  # noqa: F401
    OpenMetricsWriter,
    Series,
    exposition,
    format_number,
    render_labels,
    write_openmetrics,
)
from slo.scrape_endpoint import MetricsEndpoint  # noqa: F401
from slo.tsdb_backfill import (  # noqa: F401
    backfill_openmetrics,
    backfill_rules,
    blocks_in,
    check_rules,
    move_blocks,
    only_records,
    write_rules,
)
