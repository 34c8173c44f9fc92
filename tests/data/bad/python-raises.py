"""A definition file that fails at import."""

from slo import availability, service

THRESHOLDS = {"shop": 99.9}

shop = service("shop", availability("availability", THRESHOLDS["cart"], "http_requests_total", errors={"code": "500"}))
