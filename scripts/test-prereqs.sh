#!/usr/bin/env bash
# What npm cannot install but the test suite needs: mosquitto (MQTT tests), strace
# (fsync proof), chromium (status page browser test). As root with apt-get, installs
# what is missing; otherwise names the package and fails.
set -u
need=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v strace >/dev/null 2>&1 || need+=(strace)
command -v unshare >/dev/null 2>&1 || need+=(util-linux)
if [ "${CAMRELAY_BROWSER_TEST:-1}" = 1 ]; then
  command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "test-prereqs: installing ${need[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null && exit 0
  echo "test-prereqs: apt-get install ${need[*]} failed" >&2
  exit 1
fi
echo "test-prereqs: the tests need these Debian packages: ${need[*]} (sudo apt-get install ${need[*]})" >&2
exit 1
