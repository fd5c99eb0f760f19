#!/usr/bin/env bash
# `make bench`: every benchmark, with the settings docs/performance.md quotes.
set -euo pipefail
build="$1"
mkdir -p "$build/bench-data"
"$build/bench_facemap_throughput" --frames 10000 --width 640 --height 480 --codec h264 \
  --repeats 3 --data "$build/bench-data"
"$build/compare_head_pose" "$(dirname "$0")/../../shared/data"
"$build/bench_faces" "$(dirname "$0")/../../shared/data" "$build/bench-data"
"$build/bench_moseq_fit" "$(dirname "$0")/../../shared/data" "$build/bench-data"
"$build/bench_moseq_scale" "$build/bench-data"
"$build/bench_focus" "$(dirname "$0")/../../shared/data" "$build/bench-data"
bash "$(dirname "$0")/bench_focus_predict.sh" "$build"
