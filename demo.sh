#!/usr/bin/env bash
# The demo on a fresh clone: install into .venv (once), then print the bundled
# Hot Papers digest of 2021-08-06. No account, token or network beyond the package index.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/hotpapers ]; then
  "${PYTHON:-python3}" -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check -e .
fi
exec .venv/bin/hotpapers digest "${1:-2021-08-06}" "${@:2}"
