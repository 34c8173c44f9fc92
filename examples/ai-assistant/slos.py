"""The AI Assistant SLOs from the production runbook's SLA table, as Python."""

from slo import (
    counter_increase,
    error_rate,
    histogram_quantile,
    latency,
    not_equal,
    not_regex,
    pagerduty,
    rate_ratio,
    regex,
    routing,
    selector,
    service,
    slack,
    team_route,
    threshold,
    uptime,
    utilisation,
)

api = {"job": "ai-assistant-backend"}
search = {**api, "endpoint": "/api/search"}
not_search = {**api, "endpoint": not_equal("/api/search")}
health = {"job": "blackbox", "instance": "https://ai-assistant.your-company.com/health"}
# The runbook's Kubernetes namespace; cAdvisor and kube-state-metrics series, one alert per container.
pods = {"namespace": "ai-assistant-prod"}
containers = {**pods, "container": not_equal("")}  # cAdvisor's pod-level cgroup has container=""
per_container = ["namespace", "pod", "container"]
disks = {"job": "node-exporter", "fstype": not_regex("tmpfs|overlay|squashfs")}

# The runbook's "Alert Thresholds" table (warning / critical) and its alert rules, as threshold alerts.
alerts = [
    threshold(
        "HighErrorRate",
        rate_ratio(
            selector("http_requests_total", {**api, "status": regex("5..")}), selector("http_requests_total", api)
        ),
        warning="2%",
        critical="5%",
        summary="High error rate detected",
        description="Error rate is {{ $value | humanizePercentage }} for the last 5 minutes",
    ),
    threshold(
        "HighResponseTime",
        histogram_quantile("http_request_duration_seconds", 95, labels=api),
        warning="1.5s",
        critical="3s",
        summary="High response time detected",
        description="95th percentile response time is {{ $value | humanizeDuration }}",
    ),
    threshold(
        "HighCPUUsage",
        utilisation(
            selector("container_cpu_usage_seconds_total", containers),
            rate="5m",
            limit=selector("kube_pod_container_resource_limits", {**pods, "resource": "cpu"}),
            by=per_container,
        ),
        warning="70%",
        critical="85%",
        summary="CPU usage of {{ $labels.pod }}/{{ $labels.container }} is high: scale up",
    ),
    threshold(
        "HighMemoryUsage",
        utilisation(
            selector("container_memory_working_set_bytes", containers),
            limit=selector("kube_pod_container_resource_limits", {**pods, "resource": "memory"}),
            by=per_container,
        ),
        warning="80%",
        critical="90%",
        summary="Memory usage of {{ $labels.pod }}/{{ $labels.container }} is high: investigate a leak",
    ),
    threshold(
        "HighDiskUsage",
        utilisation(
            free=selector("node_filesystem_avail_bytes", disks),
            limit=selector("node_filesystem_size_bytes", disks),
            by=["instance", "mountpoint"],
        ),
        warning="80%",
        critical="90%",
        summary="Disk {{ $labels.mountpoint }} on {{ $labels.instance }} is filling up: clean up",
    ),
    threshold(
        "PodCrashLooping",
        counter_increase("kube_pod_container_status_restarts_total", labels=pods, window="1h", by=per_container),
        warning=2,
        critical=5,
        summary="Pod is crash looping",
        description="Pod {{ $labels.pod }} in namespace {{ $labels.namespace }} restarted {{ $value | humanize }} "
        "times in the last hour",
    ),
]

ai_assistant = service(
    "ai-assistant",
    uptime("uptime", 99.9, "probe_success", labels=health, period="month"),
    latency("api-latency", 95, "http_request_duration_seconds", under="200ms", labels=not_search),
    error_rate("error-rate", 99, "http_requests_total", errors={"status": regex("5..")}, below="0.1%", labels=api),
    latency("search-latency", 95, "http_request_duration_seconds", under="2s", labels=search),
    team="sre",
    runbook_url="https://runbooks.your-company.com/ai-assistant",
    alerts=alerts,
)

# The runbook's Alertmanager routing: pages (critical) to PagerDuty, tickets (warning) to Slack. Secrets
# stay in files Alertmanager reads; the generated alertmanager.yml only names them.
alert_routing = routing(
    pagerduty("pagerduty", routing_key_file="/etc/alertmanager/secrets/pagerduty-routing-key"),
    slack("slack", api_url_file="/etc/alertmanager/secrets/slack-api-url", channel="#sre-alerts"),
    critical="pagerduty",
    warning="slack",
    routes=[team_route("sre", critical="pagerduty", warning="slack")],
)
