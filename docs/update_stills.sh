#!/usr/bin/env bash
# Regenerate the README stills: the last step of every scene, 480p, default prompt and model.
# Extra arguments go to render.sh (e.g. --lang ja).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./render.sh --figures --no-video --out out/stills "$@"
mkdir -p docs/stills
for first in out/stills/figures/*_01.png; do
    scene=$(basename "$first" _01.png)
    last=$(ls out/stills/figures/"${scene}"_*.png | sort | tail -n 1)
    cp "$last" "docs/stills/${scene}.png"
done
ls docs/stills
