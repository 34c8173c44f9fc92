"""Notification templates: what a page or a ticket says, for every receiver kind the routing writes.

Alertmanager's defaults leave a Slack message without text and give PagerDuty only a list of label
values, so a responder learns neither what burns, nor how fast, nor where the runbook is. The
generated template file (``alertmanager/slo-notifications.tmpl``, listed under ``templates:``)
defines one text per receiver kind; the receivers reference it for every field the definitions do
not set themselves, so a receiver's own ``title``/``text``/``description``/… overrides it.

Each notification names the service, the SLO, the tier and its windows (labels), the summary and
the description (which carry the burn rate and the remaining error budget, rendered by Prometheus),
the runbook and dashboard links, and lists each alert of the group once: firing ones, then resolved
ones. Only Go template actions and functions that Alertmanager 0.25 already has are used (``toUpper``,
``len``, ``eq``, ``with``, ``range``, ``template``, ``time.Time.Format``), so the file loads on every
supported release. Webhook payloads are Alertmanager's fixed JSON, which already carries every label
and annotation; nothing is templated for them.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

TEMPLATE_FILE = "alertmanager/slo-notifications.tmpl"
TEMPLATE_NAME = Path(TEMPLATE_FILE).name
PREFIX = "slo_toolkit"


def _ref(name: str) -> str:
    return f'{{{{ template "{PREFIX}.{name}" . }}}}'


def _defines(body: dict[str, str]) -> str:
    return "\n\n".join(f'{{{{ define "{PREFIX}.{name}" }}}}{text}{{{{ end }}}}' for name, text in body.items())


# Each entry: template name → body. Bodies carry their newlines explicitly ("\n"), so the rendered text
# is exactly what is written here, with no whitespace from the file's layout.
_BODIES: dict[str, str] = {
    # [FIRING:2] checkout/availability: error budget burning 14.4x too fast (fast-page)
    "subject": (
        '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] '
        "{{ with .CommonAnnotations.summary }}{{ . }}{{ else }}{{ .CommonLabels.service }}"
        "{{ with .CommonLabels.slo }}/{{ . }}{{ end }} {{ .CommonLabels.alertname }}{{ end }}"
    ),
    # service, SLO, tier and windows of one alert, from its labels
    "facts": (
        "service: {{ .Labels.service }}{{ with .Labels.slo }} | SLO: {{ . }}{{ end }}"
        "{{ with .Labels.tier }} | tier: {{ . }}{{ end }}"
        "{{ if .Labels.long_window }} | windows: {{ .Labels.long_window }} and {{ .Labels.short_window }}{{ end }}"
        " | severity: {{ .Labels.severity }}"
        ' | since: {{ .StartsAt.Format "2006-01-02 15:04 MST" }}'
        '{{ if eq .Status "resolved" }} | resolved: {{ .EndsAt.Format "2006-01-02 15:04 MST" }}{{ end }}'
    ),
    "state": '{{ if eq .Status "resolved" }}RESOLVED{{ else }}{{ .Labels.severity | toUpper }}{{ end }}',
    # one alert as plain text (PagerDuty details, Opsgenie, e-mail text part)
    "alert.text": (
        '{{ template "slo_toolkit.state" . }}: {{ .Annotations.summary }}\n'
        "{{ with .Annotations.description }}{{ . }}\n{{ end }}"
        '{{ template "slo_toolkit.facts" . }}\n'
        "{{ with .Annotations.runbook_url }}Runbook: {{ . }}\n{{ end }}"
        "{{ with .Annotations.dashboard_url }}Dashboard: {{ . }}\n{{ end }}"
    ),
    "firing.text": '{{ range .Alerts.Firing }}{{ template "slo_toolkit.alert.text" . }}\n{{ end }}',
    "resolved.text": '{{ range .Alerts.Resolved }}{{ template "slo_toolkit.alert.text" . }}\n{{ end }}',
    "text": (
        '{{ template "slo_toolkit.firing.text" . }}'
        '{{ if .Alerts.Resolved }}Resolved:\n{{ template "slo_toolkit.resolved.text" . }}{{ end }}'
    ),
    # Slack (mrkdwn): bold state, links as <url|label>
    "slack.alert": (
        '*{{ template "slo_toolkit.state" . }}* {{ .Annotations.summary }}\n'
        "{{ with .Annotations.description }}{{ . }}\n{{ end }}"
        '_{{ template "slo_toolkit.facts" . }}_\n'
        "{{ with .Annotations.runbook_url }}<{{ . }}|Runbook> {{ end }}"
        "{{ with .Annotations.dashboard_url }}<{{ . }}|Dashboard>{{ end }}"
    ),
    "slack.title": '{{ template "slo_toolkit.subject" . }}',
    "slack.text": (
        '{{ range .Alerts.Firing }}{{ template "slo_toolkit.slack.alert" . }}\n\n{{ end }}'
        "{{ if .Alerts.Resolved }}*Resolved:*\n"
        '{{ range .Alerts.Resolved }}{{ template "slo_toolkit.slack.alert" . }}\n\n{{ end }}{{ end }}'
    ),
    "pagerduty.description": '{{ template "slo_toolkit.subject" . }}',
    "opsgenie.message": '{{ template "slo_toolkit.subject" . }}',
    "opsgenie.description": '{{ template "slo_toolkit.text" . }}',
    "email.subject": '{{ template "slo_toolkit.subject" . }}',
    "email.text": '{{ template "slo_toolkit.text" . }}',
    # HTML: Alertmanager renders e-mail HTML with html/template, which escapes every value
    "email.alert.html": (
        '<h3>{{ template "slo_toolkit.state" . }}: {{ .Annotations.summary }}</h3>\n'
        "{{ with .Annotations.description }}<p>{{ . }}</p>\n{{ end }}"
        '<p>{{ template "slo_toolkit.facts" . }}</p>\n'
        '<p>{{ with .Annotations.runbook_url }}<a href="{{ . }}">Runbook</a> {{ end }}'
        '{{ with .Annotations.dashboard_url }}<a href="{{ . }}">Dashboard</a>{{ end }}</p>\n'
    ),
    "email.html": (
        '<html><body>\n<h2>{{ template "slo_toolkit.subject" . }}</h2>\n'
        '{{ range .Alerts.Firing }}{{ template "slo_toolkit.email.alert.html" . }}{{ end }}'
        "{{ if .Alerts.Resolved }}<h2>Resolved</h2>\n"
        '{{ range .Alerts.Resolved }}{{ template "slo_toolkit.email.alert.html" . }}{{ end }}{{ end }}'
        "</body></html>"
    ),
}

HEADER = """\
{{/* Notification templates of the SLO routing: Slack, PagerDuty, Opsgenie, e-mail, Microsoft Teams.
     Receivers of the generated alertmanager.yml use them for every field their definition does not set
     itself. */}}
"""


def template_file() -> str:
    """The text of ``slo-notifications.tmpl`` (Go templates; the caller adds the generated-file header)."""
    return HEADER + "\n" + _defines(_BODIES) + "\n"


_LINKS = [
    {"href": "{{ .CommonAnnotations.runbook_url }}", "text": "Runbook"},
    {"href": "{{ .CommonAnnotations.dashboard_url }}", "text": "Dashboard"},
]
_COMMON = {
    "service": "{{ .CommonLabels.service }}",
    "slo": "{{ .CommonLabels.slo }}",
    "runbook_url": "{{ .CommonAnnotations.runbook_url }}",
    "dashboard_url": "{{ .CommonAnnotations.dashboard_url }}",
}

# Per integration kind: fields set when the receiver's definition leaves them out.
DEFAULTS: dict[str, dict[str, Any]] = {
    "slack_configs": {
        "title": _ref("slack.title"),
        "text": _ref("slack.text"),
        # Slack's own default is false: a ticket would never say it is over.
        "send_resolved": True,
    },
    "pagerduty_configs": {
        "description": _ref("pagerduty.description"),
        # merged by Alertmanager with its defaults (num_firing, num_resolved); empty links are dropped
        "details": {**_COMMON, "firing": _ref("firing.text"), "resolved": _ref("resolved.text")},
        "links": _LINKS,
    },
    "opsgenie_configs": {
        "message": _ref("opsgenie.message"),
        "description": _ref("opsgenie.description"),
        "details": _COMMON,
    },
    "email_configs": {
        "headers": {"Subject": _ref("email.subject")},
        "html": _ref("email.html"),
        "text": _ref("email.text"),
    },
    "msteamsv2_configs": {"title": _ref("slack.title"), "text": _ref("text"), "send_resolved": True},
}


def apply(receiver: dict[str, Any]) -> dict[str, Any]:
    """A receiver config with the templates filled in wherever its definition set nothing."""
    out = copy.deepcopy(receiver)
    for kind, defaults in DEFAULTS.items():
        for entry in out.get(kind, []):
            for key, value in defaults.items():
                if key not in entry:
                    entry[key] = copy.deepcopy(value)
                elif key == "headers" and isinstance(entry[key], dict):
                    for header, text in value.items():
                        entry[key].setdefault(header, text)
    return out
