# Shared by scripts/run and scripts/test: make .venv, install the project, compile
# the translations. Reinstalls only when pyproject.toml changed since the last install.
ensure_venv() {
  local python="${PYTHON:-python3}"
  if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
  fi
  local stamp=.venv/.callmp-installed
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e '.[dev]'
    touch "$stamp"
  fi
  .venv/bin/pybabel compile -d callmp/translations >/dev/null
}

# Chromium for the headless-browser tests: Playwright drives the distribution's build
# (it cannot download its own here). Installed with apt when missing and we are root.
ensure_chromium() {
  if command -v chromium >/dev/null 2>&1; then
    return
  fi
  if [ "$(id -u)" != "0" ]; then
    echo "Chromium is missing: install it (apt-get install chromium) and run again." >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
}
