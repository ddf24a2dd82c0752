"""Music: requests, the music prompt, and the backends (arranger, musicgen)."""
