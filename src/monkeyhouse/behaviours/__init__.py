"""behaviours layer."""
