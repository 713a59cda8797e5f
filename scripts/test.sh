#!/usr/bin/env bash
# Install everything the test suite needs and run it: lint, types, migrations and
# OpenAPI checks, then pytest (unit, integration and Playwright browser tests).
# Set DATABASE_URL=postgres://... to run against PostgreSQL instead of SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi

# Inbound email tests run a real IMAP server: Debian's dovecot, started by the test suite.
if [ ! -x /usr/sbin/dovecot ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null
  fi
fi

# WeasyPrint (quote PDFs) shapes Persian text with Debian's Pango and HarfBuzz; a fresh
# Debian 12 has neither.
if ! ldconfig -p | grep -q libpangoft2-1.0.so.0 || ! ldconfig -p | grep -q libharfbuzz-subset.so.0; then
  pdf_libs="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pdf_libs >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pdf_libs >/dev/null
  fi
fi

python -m pip install -q --disable-pip-version-check -e ".[test]"

export PEYVAND_DATA_DIR="${PEYVAND_DATA_DIR:-$(mktemp -d)}"
python -m ruff check src tests bench
python -m ruff format --check src tests bench
python -m mypy src
peyvand manage makemigrations --check --dry-run >/dev/null
peyvand manage check_openapi
# Two workers: the machines have two cores, and the browser tests wait on I/O.
python -m pytest -n "${PYTEST_WORKERS:-2}" "$@"
