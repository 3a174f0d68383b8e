"""topology layer."""
