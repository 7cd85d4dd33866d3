#!/bin/sh
# Fails when a test is in no CMakeLists.txt: a test that is not built never
# runs, and nothing says so (tests/integration/remote_write_test.cc left
# the build in a merge and stayed out unnoticed; issue 14).
#
#   tests_registered_test.sh SOURCE_DIR   checks the tree
#   tests_registered_test.sh --self-test  checks that the check finds what it must
#
# Tests are the files named *_test.cc, *_test.sh and *_test.py. A file
# DIR/NAME is registered when the CMakeLists.txt of DIR, or of a directory
# above it, names it by its path from there (NAME, sub/NAME,
# ${CMAKE_CURRENT_SOURCE_DIR}/NAME), outside a # comment. The files are
# those git knows (tracked, or new and not ignored), else every file outside
# .git and build*/ directories.
set -eu

list_tests() {
  if git -C "$1" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$1" ls-files --cached --others --exclude-standard -- '*_test.cc' '*_test.sh' '*_test.py'
  else
    (cd "$1" && find . \( -name .git -o -name 'build*' \) -prune -o -type f \
      \( -name '*_test.cc' -o -name '*_test.sh' -o -name '*_test.py' \) -print | sed 's|^\./||')
  fi
}

# registered ROOT PATH: true when a CMakeLists.txt at or above PATH's directory names it.
registered() {
  root=$1 path=$2 dir=$(dirname "$2")
  while :; do
    if [ "$dir" = . ]; then rel=$path; cmake="$root/CMakeLists.txt"; else rel=${path#"$dir"/}; cmake="$root/$dir/CMakeLists.txt"; fi
    if [ -f "$cmake" ]; then
      pattern=$(printf '%s' "$rel" | sed 's/[].[\*^$]/\\&/g')
      if sed 's/#.*//' "$cmake" | grep -Eq "(^|[^A-Za-z0-9_.-])$pattern([^A-Za-z0-9_.-]|\$)"; then return 0; fi
    fi
    [ "$dir" = . ] && return 1
    dir=$(dirname "$dir")
  done
}

check() {
  root=$1 unregistered=0
  for path in $(list_tests "$root"); do
    [ -f "$root/$path" ] || continue  # deleted in the work tree, not yet in the index
    if ! registered "$root" "$path"; then
      echo "not in any CMakeLists.txt (it would never be built nor run): $path"
      unregistered=$((unregistered + 1))
    fi
  done
  if [ "$unregistered" -gt 0 ]; then
    echo "$unregistered test file(s) unregistered: add each to its directory's CMakeLists.txt (vigie_add_test, add_test)"
    return 1
  fi
  return 0
}

self_test() {
  tree=$(mktemp -d)
  trap 'rm -rf "$tree"' EXIT
  mkdir -p "$tree/lib/sub" "$tree/ops"
  printf 'add_subdirectory(lib)\n' >"$tree/CMakeLists.txt"
  printf 'vigie_add_test(t SOURCES a_test.cc\n  sub/d_test.cc)\n# c_test.cc left out on purpose\n' >"$tree/lib/CMakeLists.txt"
  printf 'add_test(NAME s COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/s_test.sh)\n' >"$tree/ops/CMakeLists.txt"
  for f in lib/a_test.cc lib/b_test.cc lib/c_test.cc lib/sub/d_test.cc lib/ba_test.cc ops/s_test.sh ops/u_test.py; do
    : >"$tree/$f"
  done
  printf 'vigie_add_test(u SOURCES xa_test.cc)\n' >"$tree/lib/sub/CMakeLists.txt"  # names no file of it
  if output=$(check "$tree"); then
    echo "self-test: the check passed a tree with unregistered tests"; return 1
  fi
  expected="not in any CMakeLists.txt (it would never be built nor run): lib/b_test.cc
not in any CMakeLists.txt (it would never be built nor run): lib/ba_test.cc
not in any CMakeLists.txt (it would never be built nor run): lib/c_test.cc
not in any CMakeLists.txt (it would never be built nor run): ops/u_test.py"
  actual=$(printf '%s\n' "$output" | grep '^not in' | sort)
  if [ "$actual" != "$expected" ]; then
    printf 'self-test: expected\n%s\ngot\n%s\n' "$expected" "$output"; return 1
  fi
  echo "self-test: ok"
}

case ${1:-} in
  --self-test) self_test ;;
  '') echo "usage: $0 SOURCE_DIR | --self-test" >&2; exit 2 ;;
  *) check "$1" && echo "every test file is registered" ;;
esac
