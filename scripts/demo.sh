#!/usr/bin/env bash
# `make run`: generate a small synthetic face video (an infrared-style eye with a pupil of known
# size, blinks and a moving whisker pad), run the facemap stage on it and show what came out.
set -euo pipefail
ethovid="$1"
out="$2"
build_dir="$(dirname "$ethovid")"
mkdir -p "$out"
video="$out/demo_face.mkv"
# The generator prints the regions a user would draw around the eye and the whisker pad:
#   {"pupil_roi":[x,y,w,h],"motion_roi":[x,y,w,h],...}
rois=$("$build_dir/make_synthetic_video" "$video" --frames 600 --width 320 --height 240 --fps 30 \
  --seed 7 --truth "$out/demo_truth.csv")
roi_of() { echo "$rois" | sed -n "s/.*\"$1\":\[\([0-9,]*\)\].*/\1/p"; }
motion_roi=$(roi_of motion_roi)
pupil_roi=$(roi_of pupil_roi)
echo "video:   $video (600 frames, 320x240, 30 fps; ground truth in $out/demo_truth.csv)"
"$ethovid" facemap compute "$video" --output "$out/facemap" --motion-roi "$motion_roi" \
  --pupil-roi "$pupil_roi" --svd-components 50 --force
echo
"$ethovid" head "$out/facemap/facemap_metrics.parquet" --rows 6 \
  --columns time,frame_index,motion_energy,motion_svd_0,movie_svd_0,pupil_area,pupil_x,pupil_y,blink
