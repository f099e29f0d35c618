"""Rules of exhibitor notices, pure Python."""
