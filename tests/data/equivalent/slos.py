"""The checkout service as Python; slos.yaml, openslo.yaml and sloth.yaml say the same."""

from slo import availability, error_rate, latency, regex, service

checkout_api = {"job": "checkout"}

checkout = service(
    "checkout",
    availability(
        "availability",
        99.9,
        "http_requests_total",
        errors={"code": regex("5..")},
        labels=checkout_api,
        description="Checkout requests that do not fail with a 5xx",
    ),
    latency("latency", 99, "http_request_duration_seconds", under="300ms", labels=checkout_api),
    error_rate(
        "error-rate",
        99,
        "http_requests_total",
        errors={"code": regex("5..")},
        below="0.1%",
        slice="5m",
        labels=checkout_api,
    ),
    team="payments",
)
