"""paywatch alerts."""
