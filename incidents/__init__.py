"""paywatch incidents."""
