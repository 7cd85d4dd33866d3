#!/bin/sh
# Installs the Debian packages a test needs when they are missing (CI runs the
# tests as root on a fresh Debian 12). Exit 0 when all are installed.
set -eu
missing=""
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "need_packages: missing$missing and not root" >&2
  exit 1
fi
echo "need_packages: installing$missing" >&2
apt-get update -qq >&2
# The Debian packages of daemons try to start them; a policy-rc.d keeps them off.
DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq --no-install-recommends $missing >&2
