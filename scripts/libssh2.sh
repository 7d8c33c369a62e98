#!/usr/bin/env bash
# Makes the pkg-config package `flotilla-libssh2` (Package.swift's CLibSSH2 target) point at Flotilla's own build
# of libssh2 1.11 or later: 1.11 is the first release that signs RSA keys with rsa-sha2-256/512 (OpenSSH 8.8+
# refuses the SHA-1 `ssh-rsa` that 1.10 sends), and the patches in patches/libssh2/ make it load OpenSSH
# certificate host keys (docs/architecture.md says why). Called by setup.sh, as root. Idempotent: does nothing
# when it is already in place.
#
# Debian trixie's libssh2 source package (Debian's patches and security fixes included) is fetched with
# `apt-get source` from a deb-src-only trixie entry, Flotilla's patches are applied with `patch -p1`, and it is
# built as a static library into /opt/flotilla/libssh2. Static, so every binary that links it (flotilla, the test
# runner, benchmarks) carries it inside and can never load the system's libssh2 at run time. The system's libssh2
# is never used, even when it is 1.11 or later: it lacks the certificate patch. Rebuilt when missing, when the
# patches changed (their checksum is kept in $PREFIX/PATCHES), or when FLOTILLA_REBUILD_LIBSSH2=1 asks for it
# (to pick up a newer trixie security update).
set -euo pipefail
PREFIX=/opt/flotilla/libssh2
PATCHES=$(cd "$(dirname "$0")/../patches/libssh2" && pwd)
# The stamp of the patch set: a build made with other patches (or none) is rebuilt.
patchset=$(cat "$PATCHES"/*.patch | sha256sum | cut -c1-16)
PC=/usr/local/lib/pkgconfig/flotilla-libssh2.pc
SOURCES=/etc/apt/sources.list.d/flotilla-trixie-src.sources
say() { echo "libssh2.sh: $*" >&2; }
at_least_1_11() { dpkg --compare-versions "$1" ge 1.11; }

write_if_changed() { # path content
  if [ ! -f "$1" ] || [ "$(cat "$1")" != "$2" ]; then
    mkdir -p "$(dirname "$1")"
    printf '%s\n' "$2" > "$1.tmp" && mv "$1.tmp" "$1"
  fi
}

mkdir -p /opt/flotilla
exec 9>/opt/flotilla/.libssh2.lock
flock 9 # one build at a time when several checkouts run setup.sh at once

built=$(cat "$PREFIX/VERSION" 2>/dev/null || echo 0)
if [ "${FLOTILLA_REBUILD_LIBSSH2:-0}" != 1 ] && at_least_1_11 "${built%%-*}" \
   && [ "$(cat "$PREFIX/PATCHES" 2>/dev/null)" = "$patchset" ] \
   && [ -f "$PREFIX/lib/libssh2.a" ] && [ -f "$PREFIX/include/libssh2.h" ]; then
  :
else
  started=$(date +%s)
  # Source packages only: no trixie binary can be installed through this entry.
  write_if_changed "$SOURCES" "# Written by Flotilla's scripts/libssh2.sh: Debian trixie's libssh2 source, built into $PREFIX.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
  # A forced rebuild is for a newer trixie source: refresh the index for it.
  if [ "${FLOTILLA_REBUILD_LIBSSH2:-0}" = 1 ] || ! apt-cache showsrc libssh2 2>/dev/null | grep -q '^Version: 1\.1[1-9]'; then
    apt-get update -qq
  fi
  scratch=$(mktemp -d /tmp/flotilla-libssh2.XXXXXX)
  trap 'rm -rf "$scratch"' EXIT
  chown _apt "$scratch" 2>/dev/null || true # apt downloads as _apt when it can write there
  # apt checks the files against the signed trixie Release; dpkg-source applies Debian's patches.
  (cd "$scratch" && apt-get source -qq libssh2/trixie >/dev/null)
  src=$(find "$scratch" -mindepth 1 -maxdepth 1 -type d -name 'libssh2-*' | head -n 1)
  version=$(cd "$src" && dpkg-parsechangelog -S Version)
  at_least_1_11 "${version%%-*}" || { say "trixie offers libssh2 $version, not 1.11 or later"; exit 1; }
  for patch in "$PATCHES"/*.patch; do
    patch -s -p1 -d "$src" < "$patch" || { say "$(basename "$patch") does not apply to libssh2 $version"; exit 1; }
  done
  say "building libssh2 $version (Debian trixie source, patches $patchset) into $PREFIX"
  (
    cd "$src"
    ./configure -q --prefix="$PREFIX" --disable-shared --enable-static --with-pic \
      --with-crypto=openssl --with-libz --disable-examples-build --disable-docker-tests \
      CFLAGS="$(dpkg-buildflags --get CFLAGS)" CPPFLAGS="$(dpkg-buildflags --get CPPFLAGS)"
    nice make -s -j"$(nproc)" -C src
    make -s -C src install DESTDIR="$scratch/stage"
    make -s install-includeHEADERS DESTDIR="$scratch/stage"
  ) 2>&1 >/dev/null | { grep -v "libtool --finish" || true; } >&2 # (no shared library: nothing to finish)
  rm -f "$scratch/stage$PREFIX/lib/libssh2.la"
  echo "$version" > "$scratch/stage$PREFIX/VERSION"
  echo "$patchset" > "$scratch/stage$PREFIX/PATCHES"
  # Swap the whole prefix at once: a half-written one is never in place.
  rm -rf "$PREFIX.new" "$PREFIX.old"
  mv "$scratch/stage$PREFIX" "$PREFIX.new"
  [ ! -e "$PREFIX" ] || mv "$PREFIX" "$PREFIX.old"
  mv "$PREFIX.new" "$PREFIX"
  rm -rf "$PREFIX.old"
  say "built libssh2 $version in $(( $(date +%s) - started )) s"
fi

version=$(cat "$PREFIX/VERSION")
# The archive under a name of its own, -lflotilla-ssh2: with -lssh2, another package's pkg-config (libpcre2-8) that
# puts -L/usr/lib/x86_64-linux-gnu first on SwiftPM's link line makes the linker take the system's libssh2.so (1.10)
# instead of this build (SwiftPM refuses a bare archive path in Libs).
if ! cmp -s "$PREFIX/lib/libssh2.a" "$PREFIX/lib/libflotilla-ssh2.a"; then
  cp "$PREFIX/lib/libssh2.a" "$PREFIX/lib/libflotilla-ssh2.a.tmp" && mv "$PREFIX/lib/libflotilla-ssh2.a.tmp" "$PREFIX/lib/libflotilla-ssh2.a"
fi
write_if_changed "$PC" "# Written by Flotilla's scripts/libssh2.sh: Debian trixie's libssh2 $version with Flotilla's patches ($(cat "$PREFIX/PATCHES")), static, in $PREFIX.
prefix=$PREFIX
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: flotilla-libssh2
Description: libssh2 for Flotilla (Debian trixie source $version, patched, static)
Version: ${version%%-*}
Libs: -L\${libdir} -lflotilla-ssh2 -lssl -lcrypto -lz
Cflags: -I\${includedir}"
