#!/usr/bin/env bash
# Set up everything the system and its tests need on a fresh Debian/Ubuntu machine with
# Python 3.11+: the Debian packages of deploy/apt-packages.txt (when run as root), a venv in
# .venv with the pinned pip packages of constraints.txt, and this project installed editable.
# Idempotent: a second run only checks. CI=true always builds a fresh venv.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}

if [ "$(id -u)" = 0 ]; then
    mapfile -t pkgs < <(grep -Ev '^\s*(#|$)' deploy/apt-packages.txt)
    missing=()
    for p in "${pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "setup: installing Debian packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
else
    echo "setup: not root, assuming the packages of deploy/apt-packages.txt are installed" >&2
fi

if [ "${CI:-}" = "true" ] && [ -d .venv ]; then
    rm -rf .venv
fi
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
stamp=.venv/.installed-$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -c constraints.txt -e '.[all,dev]'
    rm -f .venv/.installed-*
    touch "$stamp"
fi
