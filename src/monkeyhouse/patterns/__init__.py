"""patterns layer."""
