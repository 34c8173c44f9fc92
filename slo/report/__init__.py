"""``slo report``: SLIs, error budgets and coverage of a calendar month from Prometheus.

periods (which UTC span) → queries (PromQL from :mod:`slo.promql`, explicit instants) → client (the
only HTTP edge) → compute (pure pandas math) → render (table, Markdown, CSV, JSON, HTML + charts).
"""
