"""``slo check``: the definitions and the deployed rules against a live Prometheus and Alertmanager.

Offline checks (``slo validate``, :mod:`slo.loaders.checks`) cannot see a selector that matches nothing, a
latency threshold that is not a bucket of the real histogram, traffic so low that one error burns
a page, a rule file that was never loaded or an Alertmanager running last month's config. These
modules ask the servers' HTTP APIs and turn every mismatch into a :class:`~slo.live_check.findings.Finding`
with a severity and a fix.
"""
