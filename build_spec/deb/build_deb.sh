#!/usr/bin/env bash
# Build the hospital-ebill .deb for Debian-based Linux (Debian 12, UOS, Kylin) from PyInstaller
# bundles: build_spec/deb/build_deb.sh DIST_DIR OUT_DIR [VERSION]
#   DIST_DIR  holds sync-server/ and optionally cashier/ and kiosk/ (pyinstaller build_spec/*.spec)
#   OUT_DIR   receives hospital-ebill_VERSION_ARCH.deb (its path is printed)
# DEB_COMPRESS=gzip builds faster (the tests); the default xz is smaller (a release).
# The package installs the bundles under /opt/hospital-ebill, commands in /usr/bin, the server's
# systemd unit (enabled and started when systemd runs), its config as a conffile, the system
# account `ebill` owning /var/lib/hospital-ebill, desktop entries for the cashier app, and the
# kiosk session (an X session plus a LightDM autologin example) for self-service terminals, the
# nightly backup timer (enabled) and the nginx TLS proxy config to copy into /etc/nginx/conf.d.
set -euo pipefail
dist=$(realpath "$1"); out=$(realpath -m "$2")
version=${3:-$(grep -m1 '^version' "$(dirname "$0")/../../pyproject.toml" | cut -d'"' -f2)}
here=$(cd "$(dirname "$0")" && pwd)
arch=$(dpkg --print-architecture)
[ -x "$dist/sync-server/sync-server" ] || { echo "build_deb: $dist/sync-server/sync-server missing" >&2; exit 2; }

root=$(mktemp -d); trap 'rm -rf "$root"' EXIT
install -d "$root/DEBIAN" "$root/opt/hospital-ebill" "$root/usr/bin" "$root/lib/systemd/system" \
    "$root/etc/hospital-ebill" "$root/usr/share/applications" "$root/usr/share/xsessions" \
    "$root/usr/share/doc/hospital-ebill/examples"
for app in sync-server cashier kiosk; do
    if [ -d "$dist/$app" ]; then
        cp -a "$dist/$app" "$root/opt/hospital-ebill/$app"
    fi
done
ln -s /opt/hospital-ebill/sync-server/sync-server "$root/usr/bin/hospital-ebill-server"
install -m 0644 "$here/files/hospital-ebill-server.service" "$here/files/hospital-ebill-backup.service" \
    "$here/files/hospital-ebill-backup.timer" "$root/lib/systemd/system/"
install -d "$root/usr/share/hospital-ebill/nginx"
install -m 0644 "$here/../../deploy/nginx/sync_server.conf" "$root/usr/share/hospital-ebill/nginx/"
install -m 0640 "$here/files/server.toml" "$root/etc/hospital-ebill/server.toml"
install -m 0644 "$here/files/50-hospital-ebill-kiosk.conf" "$root/usr/share/doc/hospital-ebill/examples/"
if [ -d "$dist/cashier" ]; then
    ln -s /opt/hospital-ebill/cashier/cashier "$root/usr/bin/hospital-ebill-cashier"
    install -m 0644 "$here/files/hospital-ebill-cashier.desktop" "$root/usr/share/applications/"
fi
if [ -d "$dist/kiosk" ]; then
    ln -s /opt/hospital-ebill/kiosk/kiosk "$root/usr/bin/hospital-ebill-kiosk"
    install -m 0644 "$here/files/hospital-ebill-kiosk-session.desktop" \
        "$root/usr/share/xsessions/hospital-ebill-kiosk.desktop"
fi
if [ -f "$here/../../docs/OPERATIONS.md" ]; then
    install -m 0644 "$here/../../docs/OPERATIONS.md" "$root/opt/hospital-ebill/OPERATIONS.md"
fi

size=$(du -sk "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: hospital-ebill
Version: $version
Architecture: $arch
Maintainer: Hospital e-bill team <ebill@example.invalid>
Installed-Size: $size
Depends: adduser, fonts-wqy-microhei
Recommends: nginx, pcscd
Section: misc
Priority: optional
Description: 医疗收费电子票据：同步服务器、收费窗口与患者自助机
 Hospital medical electronic bills: the in-hospital sync server (systemd
 service hospital-ebill-server), the cashier / finance / ward app and the
 patient self-service kiosk, as self-contained bundles under /opt/hospital-ebill.
CONTROL
echo "/etc/hospital-ebill/server.toml" > "$root/DEBIAN/conffiles"
install -m 0755 "$here/postinst" "$here/prerm" "$here/postrm" "$root/DEBIAN/"

mkdir -p "$out"
deb="$out/hospital-ebill_${version}_${arch}.deb"
dpkg-deb --root-owner-group "-Z${DEB_COMPRESS:-xz}" --build "$root" "$deb" >/dev/null
echo "$deb"
