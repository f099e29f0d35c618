"""Billing's rules, pure: no framework, no database, no HTTP (import-linter checks it)."""
