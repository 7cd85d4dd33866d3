#!/usr/bin/env bash
# The Debian packages as an admin meets them: cpack builds vigie-agent and
# vigie-collector .deb files with computed dependencies; dpkg installs them;
# the programs, units, examples and dashboards sit where Debian expects them;
# the installed units pass `systemd-analyze verify`; `--check-config` accepts
# the installed examples (the agent's token file provided, as the README's
# "Add a node" does); `dpkg --purge` leaves nothing behind.
# Needs root and dpkg; skips (77) otherwise, or when Vigie is already
# installed here or /etc/vigie exists (never touch a real installation).
#   usage: package_test.sh BINARY_DIR
set -uo pipefail
bin=$1
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (dpkg -i)"
command -v dpkg-shlibdeps >/dev/null || skip "dpkg-dev missing"
for p in vigie-agent vigie-collector; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "installed" && skip "$p is installed on this machine"
done
[ -e /etc/vigie ] && skip "/etc/vigie exists on this machine"

work=$(mktemp -d)
status=0
fail() { echo "FAIL: $*"; status=1; }
cleanup() {
  dpkg --purge vigie-agent vigie-collector >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

cpack --config "$bin/CPackConfig.cmake" -B "$work" >"$work/cpack.log" 2>&1 || { cat "$work/cpack.log"; fail "cpack"; exit 1; }
agent_deb=$(ls "$work"/vigie-agent_*.deb 2>/dev/null)
collector_deb=$(ls "$work"/vigie-collector_*.deb 2>/dev/null)
[ -f "$agent_deb" ] && [ -f "$collector_deb" ] || { ls "$work"; fail "cpack made no vigie-agent/vigie-collector .deb"; exit 1; }
echo "ok: built $(basename "$agent_deb") $(basename "$collector_deb")"

depends=$(dpkg-deb -f "$collector_deb" Depends)
case "$depends" in *libc6*) echo "ok: $(basename "$collector_deb") Depends: $depends" ;; *) fail "$(basename "$collector_deb"): no computed Depends ($depends)" ;; esac
case "$depends" in *libmicrohttpd*) ;; *) fail "vigie-collector does not depend on libmicrohttpd" ;; esac
# The agent is a static executable (glibc and mbedTLS linked in): it needs no
# shared library, and reads Debian's CA bundle for https:// without a ca_file.
depends=$(dpkg-deb -f "$agent_deb" Depends)
[ "$depends" = "init-system-helpers (>= 1.54)" ] && echo "ok: $(basename "$agent_deb") Depends: $depends" \
  || fail "vigie-agent Depends: $depends (expected init-system-helpers only)"
case "$(dpkg-deb -f "$agent_deb" Recommends)" in *ca-certificates*) ;; *) fail "vigie-agent does not recommend ca-certificates" ;; esac

dpkg -i "$agent_deb" "$collector_deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i"; exit 1; }
echo "ok: dpkg -i"

for f in /usr/sbin/vigie-agent /usr/sbin/vigie-collector /usr/bin/vigiectl \
         /lib/systemd/system/vigie-agent.service /lib/systemd/system/vigie-collector.service \
         /etc/vigie/agent.toml.example /etc/vigie/collector.toml.example \
         /usr/share/vigie/dashboards/fleet.json /usr/share/vigie/dashboards/node.json \
         /usr/share/vigie/dashboards/disks.json \
         /usr/share/vigie/provisioning/datasources/vigie.yaml /usr/share/vigie/provisioning/dashboards/vigie.yaml; do
  [ -e "$f" ] || fail "$f not installed"
done
dpkg-query -W -f='${Conffiles}\n' vigie-agent | grep -q /etc/vigie/agent.toml.example || fail "agent example is not a conffile"

# The installed units, with their real ExecStart paths.
out=$(cd "$work" && systemd-analyze verify /lib/systemd/system/vigie-agent.service /lib/systemd/system/vigie-collector.service 2>&1) \
  && [ -z "$out" ] && echo "ok: systemd-analyze verify (installed units)" || fail "verify installed units: $out"

# The examples validate as shipped, the token written where the example says.
umask 077
printf '%s\n' 0123456789abcdef0123456789abcdef > /etc/vigie/agent.token
out=$(/usr/sbin/vigie-agent --check-config --config /etc/vigie/agent.toml.example 2>&1) && echo "ok: $out" || fail "agent example: $out"
out=$(/usr/sbin/vigie-collector --check-config --config /etc/vigie/collector.toml.example 2>&1) && echo "ok: $out" || fail "collector example: $out"
# What an admin does next: copy the examples into place (purge must remove them too).
cp /etc/vigie/agent.toml.example /etc/vigie/agent.toml
cp /etc/vigie/collector.toml.example /etc/vigie/collector.toml
mkdir -p /var/lib/vigie-agent && touch /var/lib/vigie-agent/clean-shutdown

dpkg --purge vigie-agent vigie-collector >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "dpkg --purge"; }
for f in /usr/sbin/vigie-agent /usr/sbin/vigie-collector /usr/bin/vigiectl /etc/vigie /usr/share/vigie \
         /lib/systemd/system/vigie-agent.service /lib/systemd/system/vigie-collector.service /var/lib/vigie-agent \
         /etc/systemd/system/multi-user.target.wants/vigie-agent.service \
         /etc/systemd/system/multi-user.target.wants/vigie-collector.service; do
  [ -e "$f" ] || [ -L "$f" ] && fail "$f left after purge"
done
[ $status -eq 0 ] && echo "ok: purged, nothing left"
exit $status
