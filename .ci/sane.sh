#!/usr/bin/env bash
# SANE for the scanner tests (tests/test_scanner.py); sourced by .ci/run before the tests:
#
#     source .ci/sane.sh
#
# It installs Debian's sane-utils, libsane1 and libsane-dev (and gcc) when they are missing:
# `pip install python-sane` (the [scanner] extra) builds from source against libsane-dev with
# gcc, and libsane1 has the `test` backend, a virtual scanner. It enables that backend in
# /etc/sane.d/dll.conf, so that `scanimage -L` lists test:0 and test:1 (the tests themselves
# point SANE_CONFIG_DIR at a configuration of their own with only that backend), and exports
# SIGDESK_REQUIRE_SANE=1, so that the SANE tests fail rather than skip when python-sane or
# SANE is missing. The README's test command installs [train,dev], which leaves python-sane
# out (it builds only where libsane-dev, gcc and Python's headers are; it warns when python3
# lacks the headers), so .ci/run unsets that for the README's command and then runs
# tests/test_scanner.py with the [scanner] extra installed. On failure it says why and
# returns 1: under `set -e` the caller stops.

sigdesk_sane__fail() {
  echo "sane.sh: $*" >&2
  return 1
}

sigdesk_sane_setup() {
  local missing=() pkg dll=/etc/sane.d/dll.conf
  for pkg in sane-utils libsane1 libsane-dev; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$pkg")
  done
  command -v gcc >/dev/null || missing+=(gcc)  # pip builds python-sane from source
  if [ "${#missing[@]}" -gt 0 ]; then
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null ||
      { sigdesk_sane__fail "missing ${missing[*]} and cannot install them (needs root and" \
          "apt-get): install Debian's ${missing[*]}"; return 1; }
    echo "sane.sh: installing ${missing[*]}" >&2
    apt-get update -qq || { sigdesk_sane__fail "apt-get update failed"; return 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null ||
      { sigdesk_sane__fail "apt-get install ${missing[*]} failed"; return 1; }
  fi
  python3 -c 'import os, sysconfig; os.stat(sysconfig.get_paths()["include"] + "/Python.h")' \
    2>/dev/null || echo "sane.sh: python3 has no C headers (Python.h): pip cannot build" \
    "python-sane; install Debian's python3-dev (or a Python with its headers)" >&2

  # The test backend: commented out ("#test") in Debian's dll.conf.
  [ -f "$dll" ] || { sigdesk_sane__fail "$dll is missing (libsane1 installed?)"; return 1; }
  if ! grep -Eq '^[[:space:]]*test[[:space:]]*$' "$dll"; then
    if grep -Eq '^[[:space:]]*#[[:space:]]*test[[:space:]]*$' "$dll"; then
      sed -i -E 's/^[[:space:]]*#[[:space:]]*test[[:space:]]*$/test/' "$dll"
    else
      echo test >> "$dll"
    fi ||
      { sigdesk_sane__fail "cannot enable the test backend in $dll"; return 1; }
  fi
  # Its defaults (two devices, 8-bit grey) come with libsane1; write them if the file is gone.
  if [ ! -f /etc/sane.d/test.conf ]; then
    printf 'number_of_devices 2\nmode Gray\ndepth 8\n' > /etc/sane.d/test.conf ||
      { sigdesk_sane__fail "cannot write /etc/sane.d/test.conf"; return 1; }
  fi

  export SIGDESK_REQUIRE_SANE=1
  echo "sane.sh: SANE $(scanimage --version 2>/dev/null | grep -Eo '[0-9]+\.[0-9]+\.[0-9]+' |
    tail -n 1) with the test backend (scanimage -L lists test:0 and test:1)" >&2
}

sigdesk_sane_setup
