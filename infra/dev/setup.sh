#!/usr/bin/env bash
# Installs what driftloop needs on a fresh Debian 12 machine with Node 20+, once:
# build tools for node-rdkafka (it compiles librdkafka), PyTorch for the
# reference trainer (Debian's python3-torch, CPU) and the npm packages.
# Fast when everything is already there: safe to run before every command.
set -euo pipefail
cd "$(dirname "$0")/../.."

node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error("driftloop needs Node >= 20.19, this is "+process.versions.node); process.exit(1) }'

need=()
for pkg in build-essential python3 libssl-dev zlib1g-dev python3-torch; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]} (apt)"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -q
  $sudo_cmd apt-get install -y -q --no-install-recommends "${need[@]}"
fi

stamp=node_modules/.driftloop-lock
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ] || [ ! -f node_modules/node-rdkafka/build/Release/node-librdkafka.node ]; then
  echo "setup: npm ci (node-rdkafka builds librdkafka: about two minutes)"
  npm ci --no-audit --no-fund
  echo "$lock_hash" > "$stamp"
fi
