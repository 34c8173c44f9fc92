"""The immutable model every loader produces and every generator consumes.

- :mod:`slo.model.service`: the :class:`~slo.model.service.Service` and its SLOs;
- :mod:`slo.model.sli`: the SLI kinds (ratio, latency, probe, raw, time slices);
- :mod:`slo.model.periods`: rolling and calendar periods;
- :mod:`slo.model.alert_policy`: burn-rate tiers and the guard knobs;
- :mod:`slo.model.thresholds`: threshold (symptom) alerts;
- :mod:`slo.model.routing`, :mod:`slo.model.receivers`: Alertmanager routing and receivers;
- values every part shares: :mod:`~slo.model.durations`, :mod:`~slo.model.selectors`,
  :mod:`~slo.model.values`, :mod:`~slo.model.grouping`, and :mod:`~slo.model.errors` (bad input).
"""
