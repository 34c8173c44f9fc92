"""A definition file that is not Python."""

from slo import service

shop = service("shop",
    availability("availability" 99.9)
