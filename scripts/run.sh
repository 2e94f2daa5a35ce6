#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the whole system on this machine: the platform simulators,
# the sync server on SQLite wired to them, and an app with virtual devices. Ctrl-C stops all.
# --app cashier (default) / kiosk / ward / all picks the app(s); the terminal-management web URL
# (http://127.0.0.1:18000/admin/) is printed with the demo credentials.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python scripts/demo.py "$@"
