"""The AI Assistant SLOs from the production runbook's SLA table, as Python."""

from slo import error_rate, latency, not_equal, regex, service, uptime

api = {"job": "ai-assistant-backend"}

ai_assistant = service(
    "ai-assistant",
    uptime("uptime", 99.9, "probe_success", labels={"job": "blackbox", "instance": "https://ai-assistant.your-company.com/health"}),
    latency("api-latency", 95, "http_request_duration_seconds", under="200ms", labels={**api, "endpoint": not_equal("/api/search")}),
    error_rate("error-rate", 99, "http_requests_total", errors={"status": regex("5..")}, below="0.1%", slice="5m", labels=api),
    latency("search-latency", 95, "http_request_duration_seconds", under="2s", labels={**api, "endpoint": "/api/search"}),
    team="sre",
    runbook_url="https://runbooks.your-company.com/ai-assistant",
)
