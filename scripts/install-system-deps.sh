#!/usr/bin/env bash
# System packages from Debian's archive. With no argument, what the product needs to build a
# report: graphviz (lineage diagrams), Pango and fonts (weasyprint), libharfbuzz-subset0
# (byte-identical PDFs), openssh-client (ssh-keygen, which checks signed sign-offs; needed
# only when a sign-off has a .sig). With --test, also what the tests need: poppler-utils
# (pdftotext/pdftoppm) and chromium (browser tests). Installs only what is missing; needs
# root or sudo.
set -euo pipefail
need=()
command -v dot >/dev/null 2>&1 || need+=(graphviz)
ldconfig -p 2>/dev/null | grep -q libpango-1.0 || need+=(libpango-1.0-0 libpangoft2-1.0-0)
ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset || need+=(libharfbuzz-subset0)
fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core)
command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
if [ "${1:-}" = "--test" ]; then
  command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
fi
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "installing system packages: ${need[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
