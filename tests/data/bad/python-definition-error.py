"""A definition file whose SLO the model rejects."""

from slo import availability, service

shop = service(
    "shop",
    availability("availability", 150, "http_requests_total", errors={"code": "500"}),
)
