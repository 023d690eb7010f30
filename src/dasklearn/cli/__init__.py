"""The ``dasklearn`` command line."""
