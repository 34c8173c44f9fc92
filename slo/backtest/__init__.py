"""``slo backfill`` and ``slo backtest``: the generated rules evaluated over history by Prometheus itself.

:mod:`~slo.backtest.plan` reads rule documents as data (levels, inputs, look-back),
:mod:`~slo.backtest.evaluate` turns range queries into TSDB blocks level by level,
:mod:`~slo.backtest.replay` replays alerting rules with Prometheus' ``for``/``keep_firing_for`` states,
:mod:`~slo.backtest.run` puts them together per command, :mod:`~slo.backtest.outdir` keeps ``--out``
consistent across reruns, :mod:`~slo.backtest.diff` compares two versions, :mod:`~slo.backtest.render`
prints them, :mod:`~slo.backtest.cliparts` holds the command-line bits both commands share.
"""
