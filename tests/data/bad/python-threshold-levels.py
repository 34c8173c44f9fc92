"""A threshold alert whose levels are in the wrong order for its comparison."""

from slo import availability, histogram_quantile, service, threshold

shop = service(
    "shop",
    availability("availability", 99.9, "http_requests_total", errors={"code": "500"}),
    alerts=[
        threshold(
            "HighResponseTime",
            histogram_quantile("http_request_duration_seconds", 95),
            warning="3s",
            critical="1.5s",
        )
    ],
)
