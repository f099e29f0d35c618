"""Reference data every service reads (administrative units)."""
