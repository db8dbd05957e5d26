"""paywatch reports."""
