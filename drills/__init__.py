"""paywatch drills."""
