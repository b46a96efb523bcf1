#!/usr/bin/env bash
# make-base-image.sh: a Debian 12 (bookworm) base image for podman, made
# without any image registry: debootstrap from a Debian mirror, then
# `podman import`. Use it where Docker Hub is not reachable:
#
#   deploy/make-base-image.sh [--name NAME] [--mirror URL] [--force]
#   podman build --build-arg BASE=localhost/ifed-base:bookworm -f deploy/Dockerfile .
#
# The image holds a minimal bookworm (debootstrap --variant=minbase) with the
# same apt sources as debian:bookworm-slim (bookworm, bookworm-updates,
# bookworm-security), upgraded to the current security fixes, apt lists
# removed. Needs root (debootstrap) and the packages debootstrap and podman.
# An existing image of that name is kept unless --force.
set -euo pipefail

PROG=deploy/make-base-image.sh
name=localhost/ifed-base:bookworm
mirror=http://deb.debian.org/debian
security_mirror=http://deb.debian.org/debian-security
force=0

usage() {
  cat <<EOF
usage: $PROG [--name NAME] [--mirror URL] [--security-mirror URL] [--force]

  --name NAME             image name (default $name)
  --mirror URL            Debian mirror (default $mirror)
  --security-mirror URL   Debian security mirror (default $security_mirror)
  --force                 rebuild even when the image exists
EOF
}
die() {
  echo "$PROG: error: $*" >&2
  exit 1
}

while (($#)); do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --name) (($# >= 2)) || die "--name needs a value"; name=$2; shift 2 ;;
    --mirror) (($# >= 2)) || die "--mirror needs a value"; mirror=$2; shift 2 ;;
    --security-mirror) (($# >= 2)) || die "--security-mirror needs a value"; security_mirror=$2; shift 2 ;;
    --force) force=1; shift ;;
    *) echo "$PROG: error: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

[[ $(id -u) == 0 ]] || die "debootstrap needs root"
command -v debootstrap >/dev/null || die "debootstrap not found (apt-get install debootstrap)"
command -v podman >/dev/null || die "podman not found (apt-get install podman runc)"

if ((!force)) && podman image exists "$name"; then
  echo "$PROG: $name exists (use --force to rebuild)"
  exit 0
fi

root=$(mktemp -d /var/tmp/ifed-base.XXXXXX)
cleanup() {
  # Never leave a bind mount behind before removing the tree.
  for m in proc dev/pts dev sys; do
    mountpoint -q "$root/$m" 2>/dev/null && umount "$root/$m"
  done
  rm -rf --one-file-system -- "$root"
}
trap cleanup EXIT

echo "$PROG: debootstrap bookworm from $mirror into $root"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 || {
  tail -n 30 "$root.log" >&2
  rm -f "$root.log"
  die "debootstrap failed"
}
rm -f "$root.log"

# The apt sources of debian:bookworm-slim (deb822), so both bases behave the same.
rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security_mirror
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF

echo "$PROG: security updates"
mount -t proc proc "$root/proc"
chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -c \
  'apt-get update -q && apt-get -y -q upgrade && apt-get clean' >"$root.log" 2>&1 || {
  tail -n 30 "$root.log" >&2
  rm -f "$root.log"
  die "apt-get upgrade in the new tree failed"
}
rm -f "$root.log"
umount "$root/proc"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/*.log
: >"$root/etc/resolv.conf"
: >"$root/etc/hostname"

echo "$PROG: podman import as $name"
tar --numeric-owner -C "$root" -c . \
  | podman import --quiet --change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$name" >/dev/null
podman image inspect --format '{{.Id}} {{.Size}}' "$name" \
  | awk -v n="$name" '{printf "%s: image %s, %.0f MB\n", n, substr($1, 1, 12), $2 / 1e6}'
