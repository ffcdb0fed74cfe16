"""Time each atlas figure (drawn and saved as SVG, PDF and PNG) on an existing atlas.

    python3 benchmarks/figures.py --atlas results/atlas.nc [--figures regime_map ...]

The figures go to a temporary folder. The imports (matplotlib, seaborn, the atlas
reader) are done before the first timing, and each figure is drawn once: a figure job
of the pipeline does the same work after its fork-server start.
"""

import argparse
import tempfile
import time

from gradatlas import io
from gradatlas.plots import FIGURES
from gradatlas.summary import findings_html


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--atlas", required=True)
    parser.add_argument("--figures", nargs="+", default=list(FIGURES), choices=list(FIGURES))
    args = parser.parse_args()
    atlas = io.open_checked(args.atlas, remove_if_corrupt=False)
    with tempfile.TemporaryDirectory() as out:
        for name in args.figures:
            t_start = time.perf_counter()
            FIGURES[name](atlas, out)
            t_plot = time.perf_counter()
            findings_html(atlas, name)
            print(f"{name:20s} drawn and saved (svg, pdf, png) in {t_plot - t_start:6.1f} s; "
                  f"findings {time.perf_counter() - t_plot:.2f} s", flush=True)


if __name__ == "__main__":
    main()
