#!/usr/bin/env bash
# MaxMind's GeoIP2 test databases for the GeoIP tests, in .cache/geoip/ (gitignored):
# City and Country (what sitechat reads) and ASN (a kind it must refuse).
#
# They ship inside the *source* package of maxminddb (tests/data/test-data/), together
# with the JSON they were built from (tests/data/source-data/), which is where the tests'
# expectations come from. Idempotent: a no-op when the files are already there.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/.cache/geoip"
# The maxminddb release pinned in pyproject.toml.
VERSION="${MAXMINDDB_VERSION:-3.2.0}"
FILES=(GeoIP2-City-Test.mmdb GeoIP2-Country-Test.mmdb GeoLite2-ASN-Test.mmdb GeoIP2-City-Test.json)

missing=0
for f in "${FILES[@]}"; do
  [[ -s "$DEST/$f" ]] || missing=1
done
if [[ $missing -eq 0 ]]; then
  exit 0
fi

if [[ -x "$ROOT/.venv/bin/python" ]]; then
  PY="$ROOT/.venv/bin/python"
else
  PY="$(command -v python3 || true)"
fi
if [[ -z "$PY" ]]; then
  echo "geoip-testdb: no Python found (make the venv first: make test does)" >&2
  exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "geoip-testdb: fetching MaxMind's test databases (maxminddb $VERSION source package)" >&2
if ! "$PY" -m pip download --quiet --disable-pip-version-check --no-deps \
  --no-binary maxminddb "maxminddb==$VERSION" -d "$tmp/dl" >"$tmp/pip.log" 2>&1; then
  cat "$tmp/pip.log" >&2
  echo "geoip-testdb: could not download the maxminddb $VERSION source package from PyPI;" \
    "the GeoIP tests need $DEST/GeoIP2-City-Test.mmdb" >&2
  exit 1
fi

sdist="$(find "$tmp/dl" -maxdepth 1 -name "maxminddb-$VERSION.tar.gz" -print -quit)"
if [[ -z "$sdist" ]]; then
  echo "geoip-testdb: pip did not leave maxminddb-$VERSION.tar.gz in $tmp/dl" >&2
  exit 1
fi
base="maxminddb-$VERSION/tests/data"
if ! tar -xzf "$sdist" -C "$tmp" \
  "$base/test-data/GeoIP2-City-Test.mmdb" \
  "$base/test-data/GeoIP2-Country-Test.mmdb" \
  "$base/test-data/GeoLite2-ASN-Test.mmdb" \
  "$base/source-data/GeoIP2-City-Test.json"; then
  echo "geoip-testdb: $sdist does not contain the expected test databases" >&2
  exit 1
fi

mkdir -p "$DEST"
# Copy then rename, so an interrupted run never leaves a half-written database behind.
for f in "$base/test-data/GeoIP2-City-Test.mmdb" "$base/test-data/GeoIP2-Country-Test.mmdb" \
  "$base/test-data/GeoLite2-ASN-Test.mmdb" "$base/source-data/GeoIP2-City-Test.json"; do
  name="$(basename "$f")"
  cp "$tmp/$f" "$DEST/.$name.tmp"
  mv -f "$DEST/.$name.tmp" "$DEST/$name"
done
echo "geoip-testdb: wrote ${FILES[*]} to $DEST" >&2
