"""paywatch sandbox."""
