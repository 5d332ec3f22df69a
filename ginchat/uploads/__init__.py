"""Uploads: pictures and voice clips (routes, storage, type checks, metadata stripping)."""
