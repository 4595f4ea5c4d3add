#!/usr/bin/env bash
# Builds (once) the Debian rootfs that every lab host boots from, into a cache outside the repo.
# Usage: build-image.sh CACHE_DIR   -> prints the rootfs path. Rebuilt only when this recipe changes.
set -euo pipefail
cache=${1:?cache dir}
# nftables: nodeform bench counts the bytes a host's clients fetch from the checkpoint providers with nft counters.
packages="systemd,systemd-sysv,openssh-server,dbus,iproute2,sudo,curl,ca-certificates,procps,python3,libnss-myhostname,nftables"
mirror=${NODEFORM_LAB_MIRROR:-http://deb.debian.org/debian}
key=$( { cat "$0"; echo "$packages"; } | sha256sum | cut -c1-12)
rootfs="$cache/rootfs-bookworm-$key"
if [ -f "$rootfs/.nodeform-lab-ready" ]; then echo "$rootfs"; exit 0; fi
mkdir -p "$cache"
# Parallel test files may all find the cache cold: one builds, the others wait for it.
exec 9>"$cache/.lock"
flock 9
if [ -f "$rootfs/.nodeform-lab-ready" ]; then echo "$rootfs"; exit 0; fi
tmp="$rootfs.tmp.$$"
rm -rf "$tmp"
echo "lab: building image $rootfs (debootstrap, about a minute)" >&2
debootstrap --variant=minbase --include="$packages" bookworm "$tmp" "$mirror" >"$cache/debootstrap-$key.log" 2>&1 || {
  echo "lab: debootstrap failed; log: $cache/debootstrap-$key.log" >&2; tail -20 "$cache/debootstrap-$key.log" >&2; exit 1; }
# A non-root login user with password-less sudo, for become tests.
chroot "$tmp" useradd --create-home --shell /bin/sh deploy
echo 'deploy ALL=(ALL) NOPASSWD: ALL' > "$tmp/etc/sudoers.d/deploy"
chmod 0440 "$tmp/etc/sudoers.d/deploy"
# Hosts must not contend for anything on the shared loopback but their own sshd.
rm -f "$tmp"/etc/ssh/ssh_host_*
chroot "$tmp" systemctl disable ssh.socket >/dev/null 2>&1 || true
chroot "$tmp" systemctl enable ssh.service >/dev/null 2>&1
chroot "$tmp" systemctl mask systemd-networkd.service systemd-resolved.service systemd-timesyncd.service \
  apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer getty@tty1.service console-getty.service >/dev/null 2>&1 || true
# Lab hosts share the machine's network namespace: nftables.service's `flush ruleset` at boot would flush the machine's.
chroot "$tmp" systemctl mask nftables.service >/dev/null 2>&1
: > "$tmp/etc/machine-id"
# systemd would copy D-Bus's id into every host; the link makes each boot take a fresh one from nspawn's --uuid.
ln -sf /etc/machine-id "$tmp/var/lib/dbus/machine-id"
# debootstrap copies the build machine's /etc/hostname; without one, systemd keeps the name nspawn sets.
# libnss-myhostname resolves that name, so sudo does not warn "unable to resolve host".
rm -f "$tmp/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$tmp/etc/hosts"
apt-get -o RootDir="$tmp" clean >/dev/null 2>&1 || true
rm -rf "$tmp"/var/lib/apt/lists/* "$tmp"/var/cache/apt/*.bin
touch "$tmp/.nodeform-lab-ready"
mv "$tmp" "$rootfs"
echo "$rootfs"
