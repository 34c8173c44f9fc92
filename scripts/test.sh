#!/usr/bin/env bash
# The whole test suite, as run by CI (.ci/run) and by hand: installs what is missing first.
#
# Side effects are kept to what the suite needs:
# - Python packages go into the repository's own virtual environment (.venv, reused between runs;
#   SLO_VENV=DIR chooses another), never into the interpreter first on PATH.
# - Missing Debian packages are installed with service starts denied (policy-rc.d), so installing
#   prometheus does not start a system Prometheus; no service is ever stopped, and a check at the
#   end fails the run if a Prometheus/Alertmanager process that ran before the suite is gone after it.
# - pytest keeps the temporary directories of failed tests of the last run only.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "test.sh: $*"; }

# --- Debian packages: promtool/prometheus, amtool/alertmanager, victoria-metrics -------------------
need=()
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v amtool >/dev/null 2>&1 || need+=(prometheus-alertmanager)
command -v victoria-metrics >/dev/null 2>&1 || need+=(victoria-metrics)
command -v chromium >/dev/null 2>&1 || need+=(chromium)  # headless: renders the HTML report in its test
if [ ${#need[@]} -gt 0 ]; then
  say "installing Debian packages: ${need[*]} (services they ship are not started)"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  policy=/usr/sbin/policy-rc.d
  saved=""
  if [ -e "$policy" ]; then saved="$(mktemp)"; $sudo cp -p "$policy" "$saved"; fi
  restore_policy() {
    if [ -n "$saved" ]; then $sudo cp -p "$saved" "$policy"; rm -f "$saved"; else $sudo rm -f "$policy"; fi
  }
  trap restore_policy EXIT
  # Debian's documented switch: invoke-rc.d and deb-systemd-invoke do not start services while it exits 101.
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  restore_policy
  trap - EXIT
fi

# --- services that run before the suite must still run after it -----------------------------------
# Daemons (parent PID 1) whose command is one of these binaries; servers the tests start have other parents.
watched='(^|/)(prometheus|prometheus-alertmanager|alertmanager|victoria-metrics|prometheus-node-exporter)( |$)'
before_pids=""
for pid in $(pgrep -f "$watched" || true); do
  if [ "$(ps -o ppid= -p "$pid" 2>/dev/null | tr -d ' ')" = "1" ]; then before_pids+="$pid "; fi
done
before_units=""
if command -v systemctl >/dev/null 2>&1 && systemctl is-system-running >/dev/null 2>&1; then
  for unit in prometheus prometheus-alertmanager prometheus-node-exporter victoria-metrics; do
    if systemctl is-active --quiet "$unit" 2>/dev/null; then before_units+="$unit "; fi
  done
fi
# A stand-in for a host's own Prometheus: a process named like one that the suite must leave alone.
bash -c 'exec -a prometheus sleep 7200' &
standin=$!
stop_standin() { kill "$standin" 2>/dev/null || true; }
trap stop_standin EXIT

# --- the project's virtual environment ------------------------------------------------------------
venv="${SLO_VENV:-.venv}"
if [ ! -x "$venv/bin/python" ]; then
  say "creating the virtual environment $venv"
  python3 -m venv "$venv"
fi
stamp="$venv/.slo-installed"
want="$(cat pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing the toolkit and its test dependencies into $venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test]'
  echo "$want" >"$stamp"
fi
export PATH="$PWD/$venv/bin:$PATH"
export VIRTUAL_ENV="$PWD/$venv"

# --- the current backends: Prometheus 3.x, Alertmanager 0.3x, VictoriaMetrics 1.15x -------------------
# Built once from their Go modules into ~/.cache/slo-toolkit/backends (reused); real-component tests run on
# them and on the Debian packages above. SLO_BACKENDS=debian skips this column (and the build).
if [ "${SLO_BACKENDS:-debian,current}" != "debian" ]; then
  python3 scripts/build-backends.py
  SLO_CURRENT_BACKEND_PATH="$(python3 scripts/build-backends.py --print-path)"
  export SLO_CURRENT_BACKEND_PATH
fi

# --- the checks ---------------------------------------------------------------------------------
status=0
step() { "$@" || { echo "test.sh: FAILED: $*"; status=1; }; }
echo "== ruff"
step ruff check .
step ruff format --check .
echo "== slo generate --check (committed example output is up to date)"
step slo generate --check
echo "== pytest"
# Parallel workers (pytest-xdist): the suite waits on servers more than it computes, so three workers on two
# cores overlap the waits; tests sharing a module's server stay on one worker (tests/xdist_plan.py).
# SLO_TEST_WORKERS=0 runs everything in this process, one test after another.
step python -m pytest -q -n "${SLO_TEST_WORKERS:-3}" "$@"

# --- nothing that ran before was stopped ----------------------------------------------------------
for pid in $before_pids; do
  if ! kill -0 "$pid" 2>/dev/null; then
    say "FAILED: process $pid ($(cat /proc/"$pid"/comm 2>/dev/null || echo gone)) ran before the suite and is gone"
    status=1
  fi
done
for unit in $before_units; do
  if ! systemctl is-active --quiet "$unit"; then
    say "FAILED: service $unit was active before the suite and is not now"
    status=1
  fi
done
if ! kill -0 "$standin" 2>/dev/null; then
  say "FAILED: the stand-in 'prometheus' process started before the suite was killed by it"
  status=1
else
  say "services untouched: ${before_units:-no watched systemd unit was active}; stand-in process alive"
fi
exit "$status"
