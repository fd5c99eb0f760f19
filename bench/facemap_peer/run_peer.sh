#!/usr/bin/env bash
# ethovid `facemap compute` against its peer, Facemap 1.0.8's own headless processing, on one
# generated 1500-frame 640x480 H.264 video: wall time of each, their ratio, and how well the
# motion-SVD time courses agree.
#
#   bench/facemap_peer/run_peer.sh BUILD_DIR [WORK_DIR]
#
# BUILD_DIR holds ethovid, make_synthetic_video and compare_motion_svd. Facemap is not part of
# this repository and this script does not install it: supply it yourself, e.g.
#   PYTHONPATH=/path/to/facemap-1.0.8 bench/facemap_peer/run_peer.sh build
# Without an importable Facemap the script says so and exits 0 ("skipped").
set -euo pipefail

build=$(cd "$1" && pwd)
work=${2:-$build/facemap-peer}
here=$(cd "$(dirname "$0")" && pwd)
# Debian's python: the one with numpy/numba/torch/sklearn from apt. A python first on PATH
# (pyenv, venv) usually lacks them; override with PYTHON=... if yours has them.
python=${PYTHON:-/usr/bin/python3}

if ! "$python" -c 'from facemap import process' 2>/dev/null; then
  echo "skipped: '$python -c \"from facemap import process\"' fails;" \
       "put Facemap 1.0.8 on PYTHONPATH to run the peer comparison"
  exit 0
fi

mkdir -p "$work"
video="$work/peer.mp4"
fps=30
# Same seed every time, so figures from different runs refer to the same frames.
"$build/make_synthetic_video" "$video" --frames 1500 --width 640 --height 480 --codec h264 \
  --seed 3 --fps "$fps"

now() { date +%s.%N; }
# awk rather than bc: awk is on every machine.
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# Facemap first (it is the slow one). run_facemap.py times process.run() itself; the outer
# timing also includes Python start-up, imports and numba compilation, which a user pays too.
rm -rf "$work/facemap" && mkdir -p "$work/facemap"
t0=$(now)
"$python" "$here/run_facemap.py" "$video" "$work/facemap" | tee "$work/facemap.log"
t1=$(now)
facemap_s=$(secs "$t0" "$t1")

# ethovid: full frame, defaults (sbin 4, K 500, motion + movie SVD), as in the issue.
t0=$(now)
"$build/ethovid" facemap compute "$video" --output "$work/ethovid" --force
t1=$(now)
ethovid_s=$(secs "$t0" "$t1")

# Facemap's proc.npy onto the same table layout (motion_svd_k columns, row 0 NaN). A proc file
# carries no frame rate, hence --fps.
"$build/ethovid" facemap import "$work/facemap/peer_proc.npy" --output "$work/facemap_imported" \
  --fps "$fps" --force

echo "--- motion SVD: ethovid (A) vs Facemap (B)"
"$build/compare_motion_svd" "$work/ethovid/facemap_metrics.parquet" \
  "$work/facemap_imported/facemap_metrics.parquet" --components 10
echo "--- movie SVD: ethovid (A) vs Facemap (B)"
"$build/compare_motion_svd" "$work/ethovid/facemap_metrics.parquet" \
  "$work/facemap_imported/facemap_metrics.parquet" --components 10 --prefix movie_svd_

echo "facemap_wall_s $facemap_s"
echo "ethovid_wall_s $ethovid_s"
awk -v f="$facemap_s" -v e="$ethovid_s" 'BEGIN { printf "ratio_facemap_over_ethovid %.1f\n", f / e }'
