# An independent reading of a pose file with h5py, pickle and csv (Debian's python3-h5py), for
# tests/moseq/test_pose_files.cpp. Writes JSON: one entry per animal with its bodyparts, frame
# count, and samples [frame, keypoint, x, y, confidence] at a few frames (NaN as null).
import csv
import json
import math
import pickle
import sys

import h5py
import numpy as np


def samples(xy, conf):
    frames = xy.shape[0]
    out = []
    for t in sorted({0, 1, frames // 2, frames - 1}):
        for k in range(xy.shape[1]):
            x, y = float(xy[t, k, 0]), float(xy[t, k, 1])
            c = float(conf[t, k])
            ok = math.isfinite(x) and math.isfinite(y)
            out.append([t, k, x if ok else None, y if ok else None, c if ok and math.isfinite(c) else 0.0])
    return out


def animal(bodyparts, xy, conf, first_frame=0):
    return {"bodyparts": list(bodyparts), "frames": int(xy.shape[0]), "first_frame": first_frame,
            "samples": samples(xy, conf)}


def track(bodyparts, xy, conf):
    """A SLEAP track: the frames from its first to its last observed point."""
    seen = np.flatnonzero(np.isfinite(xy[:, :, 0]).any(axis=1))
    if len(seen) == 0:
        return animal(bodyparts, xy, conf)
    first, last = int(seen[0]), int(seen[-1]) + 1
    return animal(bodyparts, xy[first:last], conf[first:last], first)


def by_prefix(columns):
    """deepof's two animals in one single-animal header (B_Nose, W_Nose): (individual, bodypart)."""
    parts = [col[1] for col in columns]
    if any("_" not in p or p.startswith("_") or p.endswith("_") for p in parts):
        return None
    groups = {}
    for p in parts:
        prefix, rest = p.split("_", 1)
        groups.setdefault(prefix, set()).add(rest)
    sets = list(groups.values())
    sides = {"left", "right", "l", "r", "front", "back", "fore", "hind", "top", "bottom", "bot", "upper", "lower",
             "mid", "middle", "center", "centre", "inner", "outer", "tail", "spine", "body"}
    if len(groups) < 2 or any(s != sets[0] for s in sets) or len(sets[0]) < 3 or len(sets[0]) <= len(groups):
        return None
    if any(prefix.lower() in sides for prefix in groups):
        return None
    return [tuple(p.split("_", 1)) for p in parts]


def from_columns(columns, values):
    """columns: tuples (scorer, [individual,] bodypart, coord); values: rows x columns."""
    animals = {}
    order = []
    split = by_prefix(columns) if all(len(col) == 3 for col in columns) else None
    for j, col in enumerate(columns):
        ind, part, coord = (col[1], col[2], col[3]) if len(col) == 4 else ("", col[1], col[2])
        if split:
            ind, part = split[j]
        if ind not in animals:
            animals[ind] = {}
            order.append(ind)
        animals[ind].setdefault(part, {})[coord] = values[:, j]
    out = []
    for ind in order:
        parts = list(animals[ind])
        rows = values.shape[0]
        xy = np.stack([np.stack([animals[ind][p]["x"], animals[ind][p]["y"]], -1) for p in parts], 1)
        conf = np.stack([animals[ind][p].get("likelihood", np.ones(rows)) for p in parts], 1)
        out.append(animal(parts, xy, conf))
    return out


def slp(path):
    with h5py.File(path, "r") as f:
        meta = json.loads(f["metadata"].attrs["json"])
        nodes = [meta["nodes"][n["id"]]["name"] for n in meta["skeletons"][0]["nodes"]]
        frames = f["frames"][:]
        inst = f["instances"][:]
        pts = f["pred_points"][:]
        n_tracks = max(1, len(f["tracks_json"]))
        n_frames = int(frames["frame_idx"].max()) + 1
        xy = np.full((n_tracks, n_frames, len(nodes), 2), np.nan)
        conf = np.zeros((n_tracks, n_frames, len(nodes)))
        frame_of = {int(r["frame_id"]): int(r["frame_idx"]) for r in frames}
        for r in inst:
            t = frame_of[int(r["frame_id"])]
            tr = max(int(r["track"]), 0)
            p = pts[int(r["point_id_start"]):int(r["point_id_end"])]
            vis = p["visible"].astype(bool)
            xy[tr, t, vis, 0] = p["x"][vis]
            xy[tr, t, vis, 1] = p["y"][vis]
            conf[tr, t, vis] = p["score"][vis]
        return [track(nodes, xy[i], conf[i]) for i in range(n_tracks)]


def analysis(path):
    with h5py.File(path, "r") as f:
        nodes = [n.decode() for n in f["node_names"][:]]
        tracks = f["tracks"][:]  # tracks x 2 x nodes x frames
        scores = f["point_scores"][:] if "point_scores" in f else None
    out = []
    for i in range(tracks.shape[0]):
        xy = np.transpose(tracks[i], (2, 1, 0))
        conf = np.transpose(scores[i], (1, 0)) if scores is not None else np.ones(xy.shape[:2])
        out.append(track(nodes, xy, conf))
    return out


def dlc_h5(path):
    with h5py.File(path, "r") as f:
        key = [k for k in f.keys() if isinstance(f[k], h5py.Group)][0]
        g = f[key]
        if "table" in g:
            t = g["table"]
            kind = t.attrs["values_block_0_kind"]
            columns = pickle.loads(kind if isinstance(kind, bytes) else kind.encode("latin1"))
            values = t[:]["values_block_0"]
        else:
            values = g["block0_values"][:]
            levels = []
            i = 0
            while f"block0_items_level{i}" in g:
                names = [x.decode() for x in g[f"block0_items_level{i}"][:]]
                labels = g[f"block0_items_label{i}"][:]
                levels.append([names[c] for c in labels])
                i += 1
            columns = list(zip(*levels))
    return from_columns(columns, values)


def dlc_csv(path):
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    n_header = next(i for i, r in enumerate(rows) if r[0] == "coords") + 1
    header = rows[:n_header]
    columns = list(zip(*[r[1:] for r in header]))
    body = [r for r in rows[n_header:] if r]
    values = np.array([[float(v) if v not in ("", "nan", "NaN") else np.nan for v in r[1:]] for r in body])
    return from_columns(columns, values)


def nwb(path):
    with h5py.File(path, "r") as f:
        g = f["processing/behavior/PoseEstimation"]
        series = [n.decode() for n in g["nodes"][:]]
        xy = np.stack([g[s]["data"][:] for s in series], 1)
        conf = np.stack([g[s]["confidence"][:] for s in series], 1)
    return [animal([s.split("_", 1)[1] for s in series], xy, conf)]


def main(path, out):
    if path.endswith(".slp"):
        result = slp(path)
    elif path.endswith(".analysis.h5"):
        result = analysis(path)
    elif path.endswith(".h5"):
        result = dlc_h5(path)
    elif path.endswith(".nwb"):
        result = nwb(path)
    else:
        result = dlc_csv(path)
    with open(out, "w") as fh:
        json.dump(result, fh)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
