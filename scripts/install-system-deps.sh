#!/usr/bin/env bash
# Installs the Debian packages paywatch runs against (Prometheus, Alertmanager, ...) when missing.
# Arguments are command names; each maps to its Debian package below.
set -euo pipefail

declare -A PACKAGE_OF=(
  [prometheus]=prometheus
  [promtool]=prometheus
  [prometheus-alertmanager]=prometheus-alertmanager
  [amtool]=prometheus-alertmanager
  [prometheus-blackbox-exporter]=prometheus-blackbox-exporter
  [mtail]=mtail
  [chromium]=chromium
)

missing=()
for tool in "$@"; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    pkg="${PACKAGE_OF[$tool]:-$tool}"
    [[ " ${missing[*]-} " == *" $pkg "* ]] || missing+=("$pkg")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "paywatch needs these Debian packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The packages' post-install scripts may start system services on the default ports; paywatch
# runs its own instances on ports of its choosing, so stop those where a service manager exists.
for svc in prometheus prometheus-alertmanager prometheus-blackbox-exporter prometheus-node-exporter mtail; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" || true
  fi
done
