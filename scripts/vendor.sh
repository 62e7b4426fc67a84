#!/bin/sh
# Copy the browser builds the app serves from node_modules into server/static/vendor (gitignored).
# Run by `make install` after `npm ci`; the app never loads anything from a CDN.
set -eu
cd "$(dirname "$0")/.."
src=node_modules/bpmn-js/dist
dest=server/static/vendor/bpmn-js
if [ ! -d "$src" ]; then
  # Not fatal: the server runs without it; the modeler and diagram pages then say what is missing.
  echo "vendor.sh: $src is missing; run 'npm ci' first (the BPMN modeler pages need it)" >&2
  exit 0
fi
rm -rf "$dest"
mkdir -p "$dest/assets"
cp "$src/bpmn-modeler.production.min.js" "$src/bpmn-navigated-viewer.production.min.js" "$dest/"
cp -R "$src/assets/." "$dest/assets/"
cp node_modules/bpmn-js/LICENSE "$dest/" 2>/dev/null || true
echo "vendor.sh: bpmn-js $(node -p "require('./node_modules/bpmn-js/package.json').version" 2>/dev/null || echo '?') copied to $dest"
