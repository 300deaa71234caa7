#!/usr/bin/env bash
# Install the pinned front-end libraries from the npm registry and copy the files the
# pages load into static/vendor/ (ignored by git: no third-party code is committed).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v npm >/dev/null || { echo "ERROR: npm is needed to fetch the front-end libraries (apt-get install nodejs npm)" >&2; exit 1; }
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
rm -rf static/vendor
mkdir -p static/vendor
cp node_modules/sortablejs/Sortable.min.js static/vendor/
# With the source maps their files name: the production static storage (hashed names)
# follows every sourceMappingURL and refuses a file that is not there.
cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map static/vendor/
cp node_modules/hammerjs/hammer.min.js node_modules/hammerjs/hammer.min.js.map static/vendor/
cp node_modules/chartjs-plugin-zoom/dist/chartjs-plugin-zoom.min.js static/vendor/
echo "front-end libraries in static/vendor: $(ls static/vendor | tr '\n' ' ')"
