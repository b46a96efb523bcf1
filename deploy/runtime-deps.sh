#!/usr/bin/env bash
# runtime-deps.sh BINARY...: the Debian packages that hold the shared
# libraries the binaries load (ldd + dpkg -S), one per line, sorted. The
# container image's runtime stage installs exactly these: no -dev package,
# no compiler.
set -euo pipefail
(($#)) || { echo "usage: deploy/runtime-deps.sh BINARY..." >&2; exit 2; }
owner() {  # owner PATH: the package holding PATH (merged /usr: try both spellings).
  local p=$1 alt
  case $p in
    /usr/*) alt=${p#/usr} ;;
    *) alt=/usr$p ;;
  esac
  { dpkg -S "$p" 2>/dev/null || dpkg -S "$alt" 2>/dev/null; } | head -n 1 | cut -d: -f1
}
for b in "$@"; do
  ldd "$b" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'
done | sort -u | while read -r lib; do
  pkg=$(owner "$lib")
  [[ -z $pkg ]] && pkg=$(owner "$(readlink -f "$lib")")
  [[ -n $pkg ]] || { echo "runtime-deps.sh: no package holds $lib" >&2; exit 1; }
  echo "$pkg"
done | sort -u
