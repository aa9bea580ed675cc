#!/bin/sh
# Builds pos-agent_VERSION_all.deb from the built agent (dist/) with dpkg-deb alone.
# Usage: build/package.sh [OUT_DIR]   (npm run package builds dist/ first)
#
# dist/ bundles every dependency but two: serialport's native binding, which Node loads from a
# file (the glibc builds for x86-64, arm64 and armhf go in; Debian is glibc), and aedes, the
# demo's broker, which stays out: a terminal talks to its fleet's broker, and the demo is for a
# checkout (npm start).
set -eu
cd "$(dirname "$0")/.."
out=${1:-.}
version=$(node -p 'require("./package.json").version')
deb="$out/pos-agent_${version}_all.deb"

[ -f dist/cli.js ] || { echo "dist/cli.js is missing: run npm run build first" >&2; exit 1; }
stage=$(mktemp -d)
chmod 0755 "$stage"
trap 'rm -rf "$stage"' EXIT
lib="$stage/usr/lib/pos-agent"

# The agent: its code without the benchmark and the source maps, its launcher, and a
# package.json that makes Node read dist/*.js as ES modules.
install -d "$lib/dist" "$lib/bin" "$stage/usr/bin"
for file in dist/*.js; do
  [ "$file" = dist/bench.js ] || install -m 0644 "$file" "$lib/dist/"
done
install -m 0755 bin/pos-agent "$lib/bin/pos-agent"
node -e '
  const { name, version, description, license } = require("./package.json");
  console.log(JSON.stringify({ name, version, description, license, private: true, type: "module" }, null, 2));
' >"$lib/package.json"
ln -s ../lib/pos-agent/bin/pos-agent "$stage/usr/bin/pos-agent"

# serialport's native binding, found at run time next to its package.json (build/esbuild-plugins.ts).
bindings=node_modules/@serialport/bindings-cpp
target="$lib/node_modules/@serialport/bindings-cpp"
install -d "$target"
install -m 0644 "$bindings/package.json" "$bindings/LICENSE" "$target/"
for platform in linux-x64 linux-arm64 linux-arm; do
  install -d "$target/prebuilds/$platform"
  found=0
  for binding in "$bindings/prebuilds/$platform"/*.node; do
    case "$binding" in *musl*) continue ;; esac
    install -m 0644 "$binding" "$target/prebuilds/$platform/"
    found=1
  done
  [ "$found" = 1 ] || { echo "no serialport binding for $platform in $bindings/prebuilds" >&2; exit 1; }
done

# The service, the example config, the documentation.
install -D -m 0644 deb/pos-agent.service "$stage/lib/systemd/system/pos-agent.service"
install -D -m 0644 deb/agent.json.example "$stage/etc/pos-agent/agent.json.example"
install -D -m 0644 docs/install.md "$stage/usr/share/doc/pos-agent/install.md"

# Control files: the version and the installed size filled in.
install -d "$stage/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@INSTALLED_SIZE@/$size/" deb/control >"$stage/DEBIAN/control"
install -m 0644 deb/conffiles "$stage/DEBIAN/conffiles"
install -m 0755 deb/postinst deb/prerm deb/postrm "$stage/DEBIAN/"

mkdir -p "$out"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
