"""A latency histogram given with its _bucket suffix."""

from slo import latency, service

shop = service(
    "shop",
    latency("slow", 95, "http_request_duration_seconds_bucket", under="2s"),
)
