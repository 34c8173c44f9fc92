"""An uptime SLO whose slices can never be good: 150% of probes must succeed."""

from slo import service, uptime

site = service("site", uptime("uptime", 99.9, "probe_success", labels={"job": "blackbox"}, min_success=150))
