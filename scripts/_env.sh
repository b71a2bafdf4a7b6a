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
