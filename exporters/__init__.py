"""paywatch exporters."""
