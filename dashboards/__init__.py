"""paywatch dashboards."""
