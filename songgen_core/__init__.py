"""SongGen Studio core library: lyrics, music, audio files, the song pipeline.

No Streamlit here: pages and the CLI call this library.
"""
