"""The Streamlit side of SongGen Studio: helpers the pages share (no logic of its own)."""
