"""Run Facemap's own headless processing on one video and time it.

    python3 run_facemap.py VIDEO SAVEDIR

Calls facemap.process.run([[VIDEO]], sbin=4, motSVD=True, movSVD=True, savepath=SAVEDIR), the
settings the ethovid comparison uses, and prints `facemap_seconds <s>` (wall time of run() alone,
after the imports, so Python start-up is not charged to Facemap) and `facemap_proc <path>`.
Facemap itself is not part of this repository: put it on PYTHONPATH (or install it).
"""
import sys
import time

from facemap import process


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    video, savedir = sys.argv[1], sys.argv[2]
    start = time.perf_counter()
    proc = process.run([[video]], sbin=4, motSVD=True, movSVD=True, savepath=savedir)
    seconds = time.perf_counter() - start
    print(f"facemap_seconds {seconds:.2f}")
    print(f"facemap_proc {proc}")


if __name__ == "__main__":
    main()
