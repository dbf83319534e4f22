#!/usr/bin/env bash
# Installs the Debian packages the tracker needs beyond Python, when any is missing:
#   - Pango and HarfBuzz's subsetter: WeasyPrint draws the contradiction report's PDF with them;
#   - chromium: the browser test drives it (Playwright cannot download its own browsers here).
# Called by scripts/start and .ci/run. Does nothing when all are present; otherwise runs
# apt-get (as root, or through sudo), never asking anything.
set -euo pipefail

packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core chromium)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

if ! command -v apt-get >/dev/null; then
  echo "${0##*/}: missing ${missing[*]}, and no apt-get to install them: install them yourself" >&2
  exit 1
fi
sudo=()
if ((EUID != 0)); then
  sudo=(sudo -n)
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Another apt run (a second checkout starting up) holds the lock for a while: wait for it.
lock=(-o DPkg::Lock::Timeout=600)
"${sudo[@]}" apt-get "${lock[@]}" update -qq
"${sudo[@]}" apt-get "${lock[@]}" install -y -qq --no-install-recommends "${missing[@]}"
