#!/bin/sh
# Every relative link in README.md, docs/*.md and node/*/README.md must name
# an existing file or directory (anchors and external URLs are not checked).
cd "$(dirname "$0")/.." || exit 2
bad=0
for f in README.md docs/*.md node/README.md node/*/README.md; do
  [ -f "$f" ] || continue
  dir=$(dirname "$f")
  # Markdown links [text](target); skip URLs, mailto and pure anchors.
  for t in $(grep -o '\]([^)]*)' "$f" | sed 's/^](//; s/)$//; s/#.*//; s/ .*//'); do
    case "$t" in ''|http://*|https://*|mailto:*) continue ;; esac
    if [ ! -e "$dir/$t" ]; then
      echo "$f: broken link: $t" >&2
      bad=1
    fi
  done
done
[ "$bad" = 0 ] && echo "docs links: ok"
exit "$bad"
