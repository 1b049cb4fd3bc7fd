"""Utilities of the cleanppo/ scripts that are not the algorithm: run plumbing (runs.py)."""
