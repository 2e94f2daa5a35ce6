#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run every check: ruff, import-linter, mypy, then all pytest suites.
# Extra arguments go to pytest (e.g. scripts/test.sh -k envelope).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

# The server's tests run on PostgreSQL too: start the local cluster if it is down.
if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
    if [ -d /etc/postgresql ]; then
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    fi
fi

export PATH="$PWD/.venv/bin:$PATH"
echo "== ruff"; ruff check .
echo "== import-linter"; lint-imports
# strict, configured in pyproject.toml [tool.mypy]: a bare `mypy` checks every package of its `files`.
echo "== mypy"; mypy
echo "== pytest"; exec python -m pytest "$@"
