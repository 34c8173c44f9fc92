"""The Python DSL: short functions that build the model (``from slo import service, latency, …``).

- :mod:`slo.dsl.slos`: services, SLOs of every SLI kind, alerting policies, selectors;
- :mod:`slo.dsl.thresholds`: threshold (symptom) alerts;
- :mod:`slo.dsl.routing`: Alertmanager routing and receivers.
"""
