"""The external tools the toolkit runs: finding promtool and amtool and running their checks
(:mod:`slo.tools.toolcheck`), and their versions for ``slo --version`` (:mod:`slo.tools.versions`)."""
