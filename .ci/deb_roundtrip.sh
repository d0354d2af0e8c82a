#!/usr/bin/env bash
# CI: the Debian package's round trip, after `python scripts/build_installer.py` has built and
# self-tested dist/sigdesk. Builds dist/sigdesk_<version>_<arch>.deb, installs it with dpkg
# (apt-get install -f for missing Depends), runs the installed app's self-test from the
# launchers on the PATH as an unprivileged user with a temporary home that already holds a
# user data file, purges the package and checks that nothing of it is left while the user's
# data is untouched. Exits non-zero, saying what went wrong, on any failure. Needs root.
# Safe to run again: a sigdesk package left by an interrupted run is purged first (so do not
# run it on a PC whose real installation must stay).
#   SIGDESK_BUNDLE           the built folder (default dist/sigdesk)
#   SIGDESK_DEB_COMPRESSION  dpkg-deb's compressor (default gzip here, 20 s against xz's four
#                            minutes on 2 cores; `scripts/build_deb.py` itself defaults to xz)
set -euo pipefail
cd "$(dirname "$0")/.."

BUNDLE=${SIGDESK_BUNDLE:-dist/sigdesk}
COMPRESSION=${SIGDESK_DEB_COMPRESSION:-gzip}
PKG=sigdesk

fail() { echo "deb round trip FAILED: $*" >&2; exit 1; }
trap 'echo "deb round trip FAILED: command at line $LINENO exited $?" >&2' ERR
step() { echo "== $*"; }
state() { dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null || true; }

[ "$(id -u)" = 0 ] || fail "needs root (dpkg -i, dpkg -P)"
command -v dpkg-deb >/dev/null || fail "no dpkg-deb: not a Debian-like machine"
[ -x "$BUNDLE/sigdesk-console" ] || fail "no built app at $BUNDLE (run scripts/build_installer.py)"
if [ -n "${VIRTUAL_ENV:-}" ]; then PY=python
elif [ -x .venv/bin/python ]; then PY=.venv/bin/python
else PY=python3; fi

WORK=$(mktemp -d /tmp/sigdesk-deb-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
chmod 755 "$WORK"

if [ -n "$(state)" ] && [ "$(state)" != "unknown ok not-installed" ]; then
  step "purging a $PKG package left by an earlier run ($(state))"
  dpkg -P "$PKG"
fi

# ---- build -------------------------------------------------------------------------------------
DEB=dist/$("$PY" -c 'import sys; sys.path.insert(0, "scripts"); import build_deb as b
print(b.deb_name(b.debian_version(b.project_version()), b.debian_arch()))')
rm -f "$DEB"
step "building $DEB ($COMPRESSION)"
"$PY" scripts/build_deb.py --bundle "$BUNDLE" --out dist --compression "$COMPRESSION"
[ -f "$DEB" ] || fail "scripts/build_deb.py made no $DEB"
dpkg-deb --info "$DEB" | sed -n '/Package:/,/Depends:/p'

# ---- install -----------------------------------------------------------------------------------
step "dpkg -i $DEB"
if ! dpkg -i "$DEB"; then
  command -v apt-get >/dev/null || fail "dpkg -i failed and there is no apt-get for its Depends"
  step "installing missing Depends (apt-get install -f)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -f -y -qq
fi
[ "$(state)" = "install ok installed" ] || fail "$PKG not installed after dpkg -i: '$(state)'"
for f in /opt/sigdesk/sigdesk /opt/sigdesk/sigdesk-console /usr/bin/sigdesk \
         /usr/bin/sigdesk-console; do
  [ -x "$f" ] || fail "$f missing or not executable after install"
done
[ -f /usr/share/applications/sigdesk.desktop ] || fail "no menu entry after install"
[ -f /usr/share/icons/hicolor/256x256/apps/sigdesk.png ] || fail "no icon after install"
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate /usr/share/applications/sigdesk.desktop || fail "invalid .desktop"
fi

# ---- run it as a user would ---------------------------------------------------------------------
USER_HOME=$WORK/home
DATA=$USER_HOME/.local/share/SigDesk   # platformdirs' user data folder on Linux
mkdir -p "$DATA"
echo "a user's own data, written before the package was installed" > "$DATA/keep-me.txt"
SUM=$(sha256sum "$DATA/keep-me.txt")
as_user=()
if getent passwd nobody >/dev/null && command -v setpriv >/dev/null; then
  chown -R nobody:"$(id -gn nobody)" "$USER_HOME"
  as_user=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups)
  step "running the installed app as 'nobody' with HOME=$USER_HOME"
else
  step "running the installed app as $(id -un) with HOME=$USER_HOME"
fi
run_user() {  # run "$@" from the user's home with a clean environment (the launchers on PATH)
  ${as_user[@]+"${as_user[@]}"} env -i HOME="$USER_HOME" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
    QT_QPA_PLATFORM=offscreen sh -c 'cd "$HOME" && exec "$@"' sh "$@"
}
[ "$(run_user sh -c 'command -v sigdesk-console')" = /usr/bin/sigdesk-console ] \
  || fail "sigdesk-console on the PATH is not /usr/bin/sigdesk-console"
for exe in sigdesk-console sigdesk; do
  if ! out=$(run_user "$exe" --self-test 2>&1); then
    echo "$out" >&2
    fail "$exe --self-test from the installed package failed"
  fi
  echo "$out" | grep -E '^(PASS|FAIL|self-test)' || true
  echo "$out" | grep -q '^self-test passed' || fail "$exe --self-test printed no 'self-test passed'"
  step "$exe --self-test passed"
done
echo "$SUM" | sha256sum -c --quiet || fail "the self-test changed the user's data file"

# ---- purge and check that nothing is left -------------------------------------------------------
step "dpkg -P $PKG"
dpkg -P "$PKG"
left=()
for f in /opt/sigdesk /usr/bin/sigdesk /usr/bin/sigdesk-console \
         /usr/share/applications/sigdesk.desktop; do
  if [ -e "$f" ] || [ -L "$f" ]; then left+=("$f"); fi
done
while IFS= read -r f; do left+=("$f"); done \
  < <(find /usr/share/icons -name 'sigdesk.*' 2>/dev/null; \
      find /var/lib/dpkg/info -name "$PKG.*" 2>/dev/null)
if [ "${#left[@]}" -gt 0 ]; then
  [ -d /opt/sigdesk ] && find /opt/sigdesk -maxdepth 3 | head -20 >&2
  fail "left after dpkg -P: ${left[*]}"
fi
if dpkg -s "$PKG" >/dev/null 2>&1; then fail "dpkg -s still knows $PKG after purge"; fi
if dpkg -L "$PKG" >/dev/null 2>&1; then fail "dpkg -L still lists $PKG after purge"; fi
case "$(state)" in ""|"unknown ok not-installed") ;; *) fail "dpkg state after purge: $(state)";; esac
[ -f "$DATA/keep-me.txt" ] || fail "purging the package removed the user's data file"
echo "$SUM" | sha256sum -c --quiet || fail "purging the package changed the user's data file"
step "deb round trip passed: installed, self-tested, purged; nothing left; user data kept"
