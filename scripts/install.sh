#!/usr/bin/env bash
# Installs camrelay as a systemd service on a Raspberry Pi or NUC (Debian/Raspberry Pi OS).
# Idempotent: run it again after `git pull` to update. Needs root.
#
#   sudo scripts/install.sh            # install or update from this checkout
#   PREFIX=/opt/camrelay sudo -E scripts/install.sh
set -euo pipefail

PREFIX=${PREFIX:-/opt/camrelay}
CONF_DIR=/etc/camrelay
STATE_DIR=/var/lib/camrelay
UNIT=/etc/systemd/system/camrelay.service
SRC=$(cd "$(dirname "$0")/.." && pwd)

[ "$(id -u)" = 0 ] || { echo "install.sh: run as root (sudo)" >&2; exit 1; }
command -v node >/dev/null || { echo "install.sh: Node.js 20+ is needed (apt-get install nodejs npm, or NodeSource)" >&2; exit 1; }
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || { echo "install.sh: Node.js $major is too old; camrelay needs 20 or newer" >&2; exit 1; }

# Dedicated system user in the gpio group (created by Raspberry Pi OS; made here elsewhere).
getent group gpio >/dev/null || groupadd --system gpio
id camrelay >/dev/null 2>&1 || useradd --system --home-dir "$STATE_DIR" --no-create-home --shell /usr/sbin/nologin camrelay
usermod -a -G gpio camrelay

# Build in the checkout, then copy only what runs.
(cd "$SRC" && npm ci --no-fund --no-audit && npm run build)
mkdir -p "$PREFIX"
rsync -a --delete --exclude data --exclude .git --exclude test --exclude src "$SRC"/ "$PREFIX"/ 2>/dev/null \
  || { rm -rf "$PREFIX.new" && cp -a "$SRC" "$PREFIX.new" && rm -rf "$PREFIX" && mv "$PREFIX.new" "$PREFIX"; }
(cd "$PREFIX" && npm prune --omit=dev --no-fund --no-audit >/dev/null)

install -d -m 0750 -o root -g camrelay "$CONF_DIR"
install -d -m 0750 -o camrelay -g camrelay "$STATE_DIR"
if [ ! -f "$CONF_DIR/config.yaml" ]; then
  sed "s|data_dir: ./data|data_dir: $STATE_DIR|" "$SRC/config.example.yaml" > "$CONF_DIR/config.yaml"
  chown root:camrelay "$CONF_DIR/config.yaml"; chmod 0640 "$CONF_DIR/config.yaml"
  echo "install.sh: wrote $CONF_DIR/config.yaml from config.example.yaml: edit it, then 'systemctl restart camrelay'"
else
  echo "install.sh: keeping existing $CONF_DIR/config.yaml"
fi
node "$PREFIX/dist/cli.js" check-config "$CONF_DIR/config.yaml" --quiet \
  || echo "install.sh: WARNING: $CONF_DIR/config.yaml does not validate (see above)" >&2

# The `camrelay` command for operators (check-config, queue, output test, camera subscribe...).
chmod 0755 "$PREFIX/dist/cli.js"
ln -sfn "$PREFIX/dist/cli.js" /usr/local/bin/camrelay

install -m 0644 "$SRC/systemd/camrelay.service" "$UNIT"
sed -i "s|/opt/camrelay|$PREFIX|g" "$UNIT"
systemctl daemon-reload
systemctl enable camrelay.service
systemctl restart camrelay.service
echo "install.sh: camrelay installed in $PREFIX and started. Check: systemctl status camrelay; curl -s 127.0.0.1:8081/readyz"
