"""Data the demo replays (made up for it, not real tariffs)."""
