#!/usr/bin/env bash
# Regenerate the README stills: the last step of every scene, 480p, default prompt and model.
# Extra arguments go to render.sh; STILLS names the folder (default docs/stills), e.g.
#   STILLS=docs/stills/ja docs/update_stills.sh --lang ja
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
STILLS=${STILLS:-docs/stills}
OUT="out/$(basename "$STILLS")-render"
./render.sh --figures --no-video --out "$OUT" "$@"
mkdir -p "$STILLS"
for first in "$OUT"/figures/*_01.png; do
    scene=$(basename "$first" _01.png)
    last=$(ls "$OUT"/figures/"${scene}"_*.png | sort | tail -n 1)
    cp "$last" "$STILLS/${scene}.png"
done
ls "$STILLS"
