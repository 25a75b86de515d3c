"""Signals of the org app."""
