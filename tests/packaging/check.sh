#!/usr/bin/env bash
# Builds a consumer project against relate out of tree (tests/CMakeLists.txt
# runs this as a CTest test).
#
#   check.sh package      <source> <build> <work> <c++> <generator>
#       cmake --install of the finished build into <work>/prefix, then the
#       consumer with find_package(), and a program built with pkg-config alone.
#   check.sh subdirectory <source> <build> <work> <c++> <generator>
#       the consumer with add_subdirectory(<source>): relate is compiled again.
#   check.sh fetchcontent <source> <build> <work> <c++> <generator>
#       the consumer configured with FetchContent_MakeAvailable(<source>).
#       Building it would compile what the subdirectory check compiles, so this
#       stops after checking the configured project.
set -euo pipefail
mode=$1 source=$2 build=$3 work=$4 cxx=$5 generator=$6

rm -rf "$work"
mkdir -p "$work"
consumer=(cmake -S "$source/tests/packaging/consumer" -B "$work/consumer" -G "$generator"
  -DCMAKE_CXX_COMPILER="$cxx" -DRELATE_CONSUMER_MODE="$mode")
fail() {
  echo "packaging ($mode): $*" >&2
  exit 1
}

case $mode in
  package)
    prefix="$work/prefix"
    cmake --install "$build" --prefix "$prefix" >"$work/install.log"
    for f in include/relate/relate.hpp include/relate/version.hpp include/relate/orm/session.hpp; do
      [ -f "$prefix/$f" ] || fail "$f is not installed"
    done
    config=$(find "$prefix" -name relateConfig.cmake)
    [ -n "$config" ] || fail "relateConfig.cmake is not installed"
    [ -n "$(find "$prefix" -name relateConfigVersion.cmake)" ] || fail "no relateConfigVersion.cmake"
    [ -n "$(find "$prefix" -name 'librelate.*')" ] || fail "the library is not installed"
    pc=$(find "$prefix" -name relate.pc)
    [ -n "$pc" ] || fail "relate.pc is not installed"

    "${consumer[@]}" -DCMAKE_PREFIX_PATH="$prefix" >"$work/configure.log" ||
      { cat "$work/configure.log" >&2; fail "configuring the consumer failed"; }
    cmake --build "$work/consumer" >"$work/build.log" ||
      { cat "$work/build.log" >&2; fail "building the consumer failed"; }
    "$work/consumer/consumer"

    # The same library through pkg-config only, from a moved copy of the prefix:
    # the .pc file must not name the prefix it was installed to.
    mv "$prefix" "$work/moved"
    export PKG_CONFIG_PATH
    PKG_CONFIG_PATH=$(dirname "${pc/#$prefix/$work/moved}")
    pkg-config --exists --print-errors relate || fail "pkg-config does not find relate"
    [ "$(pkg-config --modversion relate)" = "$(sed -n 's/^#define RELATE_VERSION_STRING "\(.*\)"$/\1/p' \
      "$source/include/relate/version.hpp")" ] || fail "pkg-config reports another version"
    read -r -a cflags <<<"$(pkg-config --cflags relate)"
    read -r -a libs <<<"$(pkg-config --libs relate)"
    echo "pkg-config --cflags --libs relate: ${cflags[*]} ${libs[*]}"
    "$cxx" -std=c++20 "${cflags[@]}" "$source/tests/packaging/pkgconfig_main.cpp" \
      -o "$work/pkgconfig_main" "${libs[@]}"
    "$work/pkgconfig_main"
    ;;
  subdirectory)
    "${consumer[@]}" -DRELATE_SOURCE_DIR="$source" >"$work/configure.log" ||
      { cat "$work/configure.log" >&2; fail "configuring the consumer failed"; }
    cmake --build "$work/consumer" -j 2 >"$work/build.log" ||
      { tail -50 "$work/build.log" >&2; fail "building the consumer failed"; }
    "$work/consumer/consumer"
    ;;
  fetchcontent)
    "${consumer[@]}" -DRELATE_SOURCE_DIR="$source" >"$work/configure.log" ||
      { cat "$work/configure.log" >&2; fail "configuring the consumer failed"; }
    # The fetched project defines the library, and the consumer links it.
    grep -q "librelate" "$work/consumer/build.ninja" 2>/dev/null ||
      grep -rq "librelate" "$work/consumer" --include=Makefile --include=*.make ||
      fail "the consumer does not link relate's library"
    echo "FetchContent: relate::relate configured from $source"
    ;;
  *) fail "unknown mode" ;;
esac
