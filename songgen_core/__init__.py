"""SongGen Studio core library: lyrics, music, audio files, the song pipeline.

No Streamlit here: the pages and the CLI call this library.
"""

__version__ = "0.1.0"
