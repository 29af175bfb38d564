"""Foreign county: an independent generator of county department exports."""
