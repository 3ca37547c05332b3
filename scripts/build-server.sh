#!/usr/bin/env bash
# Builds one Redis or Valkey release from its Debian source package into
# .tools/<engine>/<version>/bin (git-ignored), once per version: a second run finds it and returns.
#
#   scripts/build-server.sh <engine> <version> <debian source version> <sha256 of the upstream tarball>
#
# Why from source: Debian's trixie and sid binaries need a newer glibc than this bookworm machine, and
# Debian's source packages are the only route to these releases through a registry reachable here.
# Only the upstream tarball is used (apt-get source --tar-only), verified against the sha256 pinned in
# model/engines.ts, and built as upstream releases it (bundled jemalloc and Lua, TLS built in), which is
# what the official images build too. The versions to build come from model/engines.ts
# (npm run servers:build). Cold: about 3 to 5 minutes per release on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
engine=$1 version=$2 debian=$3 sha256=$4
out=$PWD/.tools/$engine/$version
[[ -x $out/bin/$engine-server ]] && exit 0

say() { printf 'build-server: %s\n' "$*" >&2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A private apt configuration: the machine's own sources (bookworm) are left as they are.
cat >"$work/sources.list" <<LIST
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security trixie-security main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian experimental main
LIST
mkdir -p "$work/lists/partial"
apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$work/lists" -o APT::Sandbox::User=root)
say "$engine $version: fetching the Debian source package $engine=$debian"
apt-get "${apt_opts[@]}" update -qq
if ! (cd "$work" && apt-get "${apt_opts[@]}" source -qq --download-only --tar-only "$engine=$debian" >/dev/null); then
  say "Debian no longer serves $engine $debian (trixie, trixie-security, sid, experimental): pick a version it serves (apt-cache showsrc $engine) and update model/engines.ts"
  exit 1
fi
tarball=$(ls "$work"/"$engine"_*.orig.tar.*)
echo "$sha256  $tarball" | sha256sum --check --quiet || { say "$tarball: sha256 differs from model/engines.ts"; exit 1; }
mkdir "$work/src" && tar -xf "$tarball" -C "$work/src" --strip-components=1
say "$engine $version: building (make BUILD_TLS=yes)"
# USE_SYSTEMD=no: the binaries run under no init system here. OPTIMIZATION=-O2: without it Redis 8
# links with link-time optimisation, which took over 5 minutes for redis-server alone on a busy
# 2-core machine; the behaviour under test does not depend on it.
flags=(BUILD_TLS=yes USE_SYSTEMD=no OPTIMIZATION=-O2)
make -C "$work/src" -j"$(nproc)" "${flags[@]}" >"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log" >&2; exit 1; }
rm -rf "$out.partial" && mkdir -p "$out.partial/bin"
# The programs the tests run, copied from the build: `make install` re-ran the link (minutes) here.
for program in server sentinel cli; do cp "$work/src/src/$engine-$program" "$out.partial/bin/"; done
"$out.partial/bin/$engine-server" --version | grep -q "v=$version " || { say "built $("$out.partial/bin/$engine-server" --version), expected $version"; exit 1; }
rm -rf "$out" && mv "$out.partial" "$out"
say "$engine $version: built into ${out#"$PWD"/}"
