"""Entry point of the ``dasklearn`` command."""

from __future__ import annotations

import argparse
import sys

from .. import __version__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dasklearn", description="Scalable machine learning with the scikit-learn API on Dask."
    )
    parser.add_argument("--version", action="version", version=f"dasklearn {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="run the end-to-end demo on a Dask cluster")
    demo.add_argument("--rows", type=int, default=3_000_000, help="rows of the main table")
    demo.add_argument(
        "--scheduler",
        default=None,
        help="address of an existing scheduler (default: start a local one)",
    )
    demo.add_argument("--workers", type=int, default=2, help="workers of the local cluster")
    demo.add_argument("--threads-per-worker", type=int, default=1)
    demo.add_argument("--memory-limit", default="auto", help="per worker, e.g. 4GiB")
    demo.add_argument("--steps", nargs="+", default=None, help="run only these steps")
    demo.add_argument("--workdir", default=None, help="folder for the demo's temporary files")
    demo.add_argument("--no-progress", action="store_true", help="no progress bars")
    demo.add_argument("--random-state", type=int, default=0)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "demo":
        from .demo import run_demo

        run_demo(
            n_rows=args.rows,
            scheduler=args.scheduler,
            n_workers=args.workers,
            threads_per_worker=args.threads_per_worker,
            memory_limit=args.memory_limit,
            steps=args.steps,
            workdir=args.workdir,
            progress=not args.no_progress,
            random_state=args.random_state,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
