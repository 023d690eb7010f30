"""``python -m dasklearn``: the ``dasklearn`` command."""

from dasklearn.cli.__main__ import main

raise SystemExit(main())
