"""A definition file that defines SLOs but no Service."""

from slo import availability

slo = availability("availability", 99.9, "http_requests_total", errors={"code": "500"})
