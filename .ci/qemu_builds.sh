#!/usr/bin/env bash
# Installs the Debian QEMU builds the suite validates, and prints one line per
# build: "LABEL<TAB>PATH-TO-qemu-system-x86_64".
#
#   10.0.2  bookworm-backports, installed on the host (apt).
#   10.0.x  trixie, in a private root made by debootstrap; started through the
#           root's own dynamic loader by a generated wrapper (QEMU's sockets and
#           paths stay the host's).
#   11.1.x  trixie-backports, in a second private root, the same way.
#
# Roots are cached under $CXL_DCD_CACHE (default /var/cache/cxl-dcd-conformance)
# and rebuilt when missing or incomplete. Only Debian's own packages are used.
# Usage: qemu_builds.sh [host|trixie|trixie-backports]...   (default: all three)
set -euo pipefail

CACHE="${CXL_DCD_CACHE:-/var/cache/cxl-dcd-conformance}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root (or sudo) to run: $*" >&2
    return 1
  fi
}
say() { printf '  [qemu-builds] %s\n' "$*" >&2; }

apt_updated=0
apt_update_once() {
  if [ "$apt_updated" -eq 0 ]; then
    as_root apt-get update -qq >&2
    apt_updated=1
  fi
}

host_build() {
  if command -v qemu-system-x86_64 >/dev/null &&
    qemu-system-x86_64 --version | grep -q 'version 10\.0\.'; then
    :
  else
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
      as_root tee /etc/apt/sources.list.d/bookworm-backports.sources >/dev/null <<SRC
Types: deb
URIs: ${MIRROR}
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
      apt_updated=0
    fi
    apt_update_once
    say "installing qemu-system-x86 from bookworm-backports"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      -t bookworm-backports qemu-system-x86 >&2
  fi
  printf '%s\t%s\n' "debian-bookworm-backports" "$(command -v qemu-system-x86_64)"
}

# root_build NAME SUITE-FOR-QEMU
root_build() {
  local name="$1" suite="$2"
  local root="$CACHE/roots/$name"
  local wrapper="$CACHE/bin/$name/qemu-system-x86_64"
  if [ ! -f "$root/.complete" ]; then
    if ! command -v debootstrap >/dev/null; then
      apt_update_once
      say "installing debootstrap"
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        debootstrap >&2
    fi
    say "making a trixie root for $name at $root (about a minute)"
    as_root rm -rf "$root"
    as_root mkdir -p "$root"
    as_root debootstrap --variant=minbase trixie "$root" "$MIRROR" >"$CACHE/$name.debootstrap.log" 2>&1 || {
      tail -n 30 "$CACHE/$name.debootstrap.log" >&2
      return 1
    }
    as_root tee "$root/etc/apt/sources.list" >/dev/null <<SRC
deb ${MIRROR} trixie main
deb ${MIRROR} trixie-updates main
deb ${MIRROR} trixie-backports main
SRC
    as_root chroot "$root" apt-get update -qq >&2
    local target=()
    [ "$suite" = "trixie" ] || target=(-t "$suite")
    say "installing qemu-system-x86 from $suite inside the root"
    as_root chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends "${target[@]}" qemu-system-x86 >&2
    as_root chroot "$root" apt-get clean
    as_root touch "$root/.complete"
  fi
  local moddir
  moddir=$(find "$root/usr/lib/x86_64-linux-gnu/qemu" -maxdepth 0 -type d 2>/dev/null || true)
  as_root mkdir -p "$(dirname "$wrapper")"
  as_root tee "$wrapper" >/dev/null <<WRAP
#!/bin/sh
# Debian's qemu-system-x86_64 from $root ($suite), run through that root's
# dynamic loader so it finds its own libraries, firmware and modules.
R='$root'
export QEMU_MODULE_DIR="\${QEMU_MODULE_DIR:-$moddir}"
exec "\$R/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" --library-path "\$R/usr/lib/x86_64-linux-gnu" \\
  --argv0 qemu-system-x86_64 "\$R/usr/bin/qemu-system-x86_64" -L "\$R/usr/share/qemu" -L "\$R/usr/share/seabios" "\$@"
WRAP
  as_root chmod 755 "$wrapper"
  "$wrapper" --version | head -n 1 >&2
  printf '%s\t%s\n' "debian-$suite" "$wrapper"
}

builds=("$@")
[ ${#builds[@]} -gt 0 ] || builds=(host trixie trixie-backports)
for b in "${builds[@]}"; do
  case "$b" in
  host) host_build ;;
  trixie) root_build trixie trixie ;;
  trixie-backports) root_build trixie-backports trixie-backports ;;
  *)
    echo "unknown build '$b': expected host, trixie or trixie-backports" >&2
    exit 2
    ;;
  esac
done
