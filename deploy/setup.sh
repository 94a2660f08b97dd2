#!/usr/bin/env bash
# Set MASH Hub up on a fresh machine: Java and Maven (for the local Kafka broker), a Python
# virtualenv with the pinned dependencies, Apache Kafka's jars resolved from Maven Central,
# and for the tests (--for-tests) a running local PostgreSQL (role and db "mash") and Debian's
# headless Chromium with its ChromeDriver (--with-postgres and --with-browser do one each).
set -euo pipefail
cd "$(dirname "$0")/.."

with_postgres=0
with_browser=0
for arg in "$@"; do
  case "$arg" in
    --with-postgres) with_postgres=1 ;;
    --with-browser) with_browser=1 ;;
    --for-tests) with_postgres=1; with_browser=1 ;;
    *) echo "usage: deploy/setup.sh [--for-tests | --with-postgres | --with-browser]" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then sudo_ apt-get update -qq; apt_updated=1; fi
  sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

have java || { say "installing Java 17"; apt_install openjdk-17-jre-headless; }
have mvn || { say "installing Maven"; apt_install maven; }

python=${PYTHON:-python3}
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "MASH Hub needs Python 3.11+ (set PYTHON=...)" >&2; exit 1; }
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$python" -m venv .venv
fi
say "installing MASH Hub and its pinned dependencies into .venv"
.venv/bin/pip install -q -e '.[dev]'

say "resolving Apache Kafka from Maven Central (cached after the first time)"
.venv/bin/mash broker fetch

if [ "$with_postgres" = 1 ]; then
  have pg_ctlcluster || { say "installing PostgreSQL"; apt_install postgresql; }
  version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main" \
    || sudo_ pg_createcluster "$version" main >/dev/null
  pg_lsclusters -h | awk '$1=="'"$version"'" && $2=="main" {print $4}' | grep -qx online \
    || { say "starting PostgreSQL $version"; sudo_ pg_ctlcluster "$version" main start; }
  for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 && break; sleep 0.2; done
  psql_() { sudo_ runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtA "$@"; }
  [ "$(psql_ -c "SELECT 1 FROM pg_roles WHERE rolname = 'mash'")" = 1 ] \
    || psql_ -c "CREATE ROLE mash LOGIN CREATEDB PASSWORD 'mash'"
  psql_ -c "ALTER ROLE mash CREATEROLE"  # the tests of `mash db roles` create roles
  [ "$(psql_ -c "SELECT 1 FROM pg_database WHERE datname = 'mash_test'")" = 1 ] \
    || psql_ -c "CREATE DATABASE mash_test OWNER mash"
  say "PostgreSQL ready: postgresql://mash:mash@127.0.0.1:5432/mash_test"
fi
if [ "$with_browser" = 1 ]; then
  { have chromium && have chromedriver; } \
    || { say "installing Chromium and ChromeDriver (the dashboard's browser test)"; \
         apt_install chromium chromium-driver; }
fi
say "set up; try: .venv/bin/mash demo"
