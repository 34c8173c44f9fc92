"""Small set-ups several test modules share: generated files on disk, amtool's routing verdict."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

from generators import alertmanager as am
from generators.bundle import artifacts
from slo.dsl.routing import routing, webhook
from slo.loaders import Definitions
from slo.local.alertmanager import WebhookReceiver
from slo.model.service import Service


def write_files(out: Path, files: Mapping[str, str]) -> Path:
    """Write ``{relative path: text}`` under ``out`` (directories made); returns ``out``."""
    for rel, text in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return out


def write_artifacts(out: Path, defs: Definitions, base: am.BaseConfig | None = None) -> Path:
    """Everything ``slo generate`` writes for ``defs`` (merged into ``base``), under ``out``."""
    return write_files(out, artifacts(defs, base))


def amtool_routes(amtool: str, config: Path, labels: Mapping[str, str]) -> str:
    """What Alertmanager's own routing code makes of ``labels``, via amtool, without --verify."""
    args = [f'{k}="{v}"' for k, v in labels.items()]
    done = subprocess.run(
        [amtool, "config", "routes", "test", f"--config.file={config}", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip()


def pager_chat_config(shop: Service, recorder: WebhookReceiver) -> str:
    """The generated Alertmanager config for ``shop``: pages to ``recorder``'s /pager, tickets to /chat, sent
    after 1 s (live notification tests wait on them)."""
    routing_ = routing(
        webhook("pager", url=recorder.url("/pager")),
        webhook("chat", url=recorder.url("/chat")),
        critical="pager",
        warning="chat",
        group_wait="1s",
        group_interval="1s",
    )
    return artifacts(Definitions((shop,), (("shop", "test"),), routing_, "test"))["alertmanager/alertmanager.yml"]
