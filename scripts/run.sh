#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the whole system on this machine: the platform simulators,
# the sync server on SQLite wired to them, and an app with virtual devices. Ctrl-C stops all.
# --app kiosk starts the patient self-service kiosk instead of the cashier window (the default).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python scripts/demo.py "$@"
