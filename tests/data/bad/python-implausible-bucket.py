"""A latency threshold between histogram buckets."""

from slo import latency, service

shop = service(
    "shop",
    latency("fast", 95, "http_request_duration_seconds", under="213.7ms"),
)
