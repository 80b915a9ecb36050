"""The library's version (read by the results files' provenance)."""

__version__ = "0.2.0"
