"""Exports: a page of moments as files an editor imports (OTIO, CSV, CMX3600 EDLs)."""
