"""The AI Assistant SLOs from the production runbook's SLA table, as Python."""

from slo import error_rate, latency, not_equal, pagerduty, regex, routing, service, slack, team_route, uptime

api = {"job": "ai-assistant-backend"}
search = {**api, "endpoint": "/api/search"}
not_search = {**api, "endpoint": not_equal("/api/search")}
health = {"job": "blackbox", "instance": "https://ai-assistant.your-company.com/health"}

ai_assistant = service(
    "ai-assistant",
    uptime("uptime", 99.9, "probe_success", labels=health, period="month"),
    latency("api-latency", 95, "http_request_duration_seconds", under="200ms", labels=not_search),
    error_rate("error-rate", 99, "http_requests_total", errors={"status": regex("5..")}, below="0.1%", labels=api),
    latency("search-latency", 95, "http_request_duration_seconds", under="2s", labels=search),
    team="sre",
    runbook_url="https://runbooks.your-company.com/ai-assistant",
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
