#!/usr/bin/env bash
# Runs Latchkey's whole test suite on a fresh Debian machine: installs what is missing
# (C compiler, PostgreSQL, Chromium and ChromeDriver, OpenLDAP, Samba's AD DC), makes sure PostgreSQL answers, then checks
# formatting and lints and runs every test, the headless-Chromium journeys included.
#
#   ./scripts/test.sh
#
# Environment:
#   LATCHKEY_TEST_DATABASE_URL  PostgreSQL server for the tests; each test creates (and drops)
#                               its own database there. Default: postgres://postgres@127.0.0.1:5432/test
#   RUST_TEST_THREADS           Tests run at once per test binary. Default: 4
set -euo pipefail
cd "$(dirname "$0")/.."

export LATCHKEY_TEST_DATABASE_URL="${LATCHKEY_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

say() { printf '\n== %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root for: $*" >&2; return 1; fi
}

apt_updated=""
apt_install() {
  command -v apt-get >/dev/null || { echo "cannot install $* (no apt-get): install it yourself" >&2; return 1; }
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

# --- tools ------------------------------------------------------------------------------------
command -v cargo >/dev/null || { echo "Rust (cargo) is needed: https://rustup.rs" >&2; exit 1; }
command -v cc >/dev/null || apt_install build-essential
command -v pg_isready >/dev/null || apt_install postgresql-client
# The browser journeys (tests/it/browser.rs) drive Debian's Chromium through ChromeDriver; nothing
# downloads a browser at run time.
if [ ! -x /usr/bin/chromium ] || ! command -v chromedriver >/dev/null; then
  say "installing Chromium and ChromeDriver for the browser tests"
  apt_install chromium chromium-driver
fi
# The directory tests (tests/it/directory_client.rs and the journeys of directory tenants) start
# their own OpenLDAP per test on loopback ports (tests/it/common/ldap.rs); the package's own
# service is not needed.
if [ ! -x /usr/sbin/slapd ] || ! command -v ldapwhoami >/dev/null; then
  say "installing OpenLDAP (slapd, ldap-utils) for the directory tests"
  apt_install slapd ldap-utils
fi

# The Active Directory tests (tests/it/active_directory.rs) provision Samba's AD DC once per test
# process in a temporary directory and run it in the foreground on 127.0.0.1:389/636
# (tests/it/common/samba.rs); Samba has no setting for other LDAP ports, so nothing else may
# listen there. The packages' own services are not needed: with no systemd (containers) they
# don't start; elsewhere they are stopped and disabled here, so they can't take the ports.
if [ ! -x /usr/sbin/samba ] || ! command -v samba-tool >/dev/null; then
  say "installing Samba's AD DC (samba, samba-ad-dc) for the Active Directory tests"
  apt_install samba samba-ad-dc
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    for unit in samba-ad-dc smbd nmbd winbind; do
      as_root systemctl disable --now "$unit" >/dev/null 2>&1 || true
    done
  fi
fi
# A DC left by an interrupted run stops by itself (its standard input closes with the test
# process); one still holding the ports means another test run is going on.
if command -v ss >/dev/null && ss -ltn 2>/dev/null | grep -qE '127\.0\.0\.1:(389|636)\b|\*:(389|636)\b|0\.0\.0\.0:(389|636)\b'; then
  echo "warning: something listens on port 389 or 636; the Active Directory tests need them (another test run?)" >&2
fi

# The OpenAPI contract test (tests/it/openapi_contract.rs) runs schemathesis, pinned, from a
# virtualenv under target/ (made only when missing or holding another version); the test finds it
# through LATCHKEY_SCHEMATHESIS and fails without it.
SCHEMATHESIS_VERSION=4.32.5
st_venv=target/schemathesis-venv
if [ "$("$st_venv/bin/python" -c 'import importlib.metadata as m; print(m.version("schemathesis"))' 2>/dev/null)" != "$SCHEMATHESIS_VERSION" ]; then
  say "installing schemathesis $SCHEMATHESIS_VERSION into $st_venv for the OpenAPI contract test"
  python3 -m venv --help >/dev/null 2>&1 && python3 -c 'import ensurepip' 2>/dev/null || apt_install python3-venv
  rm -rf "$st_venv"
  python3 -m venv "$st_venv"
  "$st_venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
export LATCHKEY_SCHEMATHESIS="$PWD/$st_venv/bin/st"

# --- PostgreSQL ---------------------------------------------------------------------------------
pg_host=$(python3 -c 'import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p.hostname or "127.0.0.1", p.port or 5432)' "$LATCHKEY_TEST_DATABASE_URL" 2>/dev/null || echo "127.0.0.1 5432")
read -r PGH PGP <<<"$pg_host"
if ! pg_isready -q -h "$PGH" -p "$PGP"; then
  say "PostgreSQL is not answering on $PGH:$PGP; starting it"
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install postgresql
    installed_pg=1
  fi
  ver=$(ls /etc/postgresql | sort -V | tail -n1)
  if [ "${installed_pg:-}" = 1 ]; then
    # A server this script installed: let local test connections in without a password.
    hba="/etc/postgresql/$ver/main/pg_hba.conf"
    as_root sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/; s/^(host\s+all\s+all\s+::1\/128\s+)\S+/\1trust/' "$hba"
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start || as_root pg_ctlcluster "$ver" main start
  for _ in $(seq 1 30); do pg_isready -q -h "$PGH" -p "$PGP" && break; sleep 1; done
  pg_isready -h "$PGH" -p "$PGP"
  if [ "${installed_pg:-}" = 1 ]; then
    as_root su postgres -c "psql -qc 'CREATE DATABASE test'" 2>/dev/null || true
  fi
fi

# --- checks and tests ---------------------------------------------------------------------------
if cargo fmt --version >/dev/null 2>&1; then
  say "cargo fmt --check"
  cargo fmt --all -- --check
else
  echo "rustfmt is not installed: skipping the formatting check"
fi
if cargo clippy --version >/dev/null 2>&1; then
  say "cargo clippy"
  cargo clippy --all-targets --locked -- -D warnings
else
  echo "clippy is not installed: skipping lints"
fi

# Four tests at a time even on two cores: most integration tests wait (on SMTP, LDAP and
# Chromium round trips, on clocks), so two threads left the processors half idle.
export RUST_TEST_THREADS="${RUST_TEST_THREADS:-4}"
say "cargo test (unit, integration, CLI and browser tests on SQLite and PostgreSQL)"
cargo test --locked --all-targets
