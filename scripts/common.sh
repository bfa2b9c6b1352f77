# Shared by the scripts: Debian packages, the build, a throwaway PostgreSQL server.
# shellcheck shell=bash

RELATE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Installs missing Debian packages when run as root; otherwise names them and stops.
relate_require_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ]; then
    echo "relate: installing missing packages: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq "${missing[@]}" >/dev/null || {
      echo "relate: could not install: ${missing[*]}" >&2
      exit 1
    }
  else
    echo "relate: missing Debian packages: ${missing[*]}" >&2
    echo "relate: install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
}

# relate_build <build-dir> <c++ compiler> [extra cmake args...]
relate_build() {
  local dir=$1 cxx=$2
  shift 2
  cmake -S "$RELATE_ROOT" -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
    -DRELATE_WERROR=ON "$@" >/dev/null || exit 1
  ninja -C "$dir" || exit 1
}

# A throwaway PostgreSQL 15 server (scripts/test, scripts/bench): created with
# initdb in a temporary folder, listening only on a unix socket there. Callers
# trap relate_stop_postgres so it is stopped and removed however they exit.
# RELATE_PG_CPU, when set, pins the server (and every backend it forks) to that CPU.
relate_pg_dir=""
relate_pg_bin=""

# initdb refuses to run as root: run the server as the postgres system user then.
relate_as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

relate_stop_postgres() {
  if [ -n "$relate_pg_dir" ]; then
    relate_as_pg "$relate_pg_bin/pg_ctl" -D "$relate_pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$relate_pg_dir"
    relate_pg_dir=""
  fi
}

relate_start_postgres() {
  relate_pg_bin=$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || dirname "$(command -v initdb)")
  [ -x "$relate_pg_bin/initdb" ] || { echo "relate: PostgreSQL 15 initdb not found" >&2; exit 1; }
  relate_pg_dir=$(mktemp -d /tmp/relate-pg.XXXXXX)
  [ "$(id -u)" -eq 0 ] && chown postgres "$relate_pg_dir"
  if ! relate_as_pg "$relate_pg_bin/initdb" -D "$relate_pg_dir/data" -A trust -U postgres --no-sync \
    >"$relate_pg_dir/initdb.log" 2>&1; then
    cat "$relate_pg_dir/initdb.log" >&2
    echo "relate: initdb failed; the PostgreSQL tests cannot run" >&2
    exit 1
  fi
  local pin=()
  [ -n "${RELATE_PG_CPU:-}" ] && pin=(taskset -c "$RELATE_PG_CPU")
  if ! relate_as_pg "${pin[@]}" "$relate_pg_bin/pg_ctl" -D "$relate_pg_dir/data" -w -t 60 \
    -l "$relate_pg_dir/server.log" \
    -o "-k $relate_pg_dir -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c max_connections=300" \
    start >/dev/null; then
    cat "$relate_pg_dir/server.log" >&2
    echo "relate: the throwaway PostgreSQL server did not start; the PostgreSQL tests cannot run" >&2
    exit 1
  fi
  export RELATE_TEST_POSTGRES_URL="postgresql:///postgres?host=$relate_pg_dir&user=postgres"
  RELATE_POSTGRES_URL=$RELATE_TEST_POSTGRES_URL
  echo "relate: throwaway PostgreSQL server on $relate_pg_dir" >&2
}
