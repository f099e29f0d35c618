"""Booth rules, pure: floor plans, zones, geometry, the allocation solvers and the SVG drawing (no framework)."""
