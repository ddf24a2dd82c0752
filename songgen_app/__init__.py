"""The Streamlit side of SongGen Studio: what the pages share, split by concern, with no
logic of its own (that is in songgen_core).

- resources.py: models, the store and the registry, loaded once per process
- text.py: user and model text shown literally; messages
- forms.py: the Generate form's defaults and checks
- status.py: what the Home page reports
- song_view.py: a song's lyrics, details, player, downloads and picker label
- generate_view.py: the Generate page's song (streaming, Stop, buttons) and music panel
- rating_charts.py: the Rate page's aggregates
- tables.py: table columns that show their text whole
"""
