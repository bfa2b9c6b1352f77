# Shared by scripts/example and scripts/test: Debian packages and the build.
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
