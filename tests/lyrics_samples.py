"""Lyrics the music tests share: two verses around a repeated, labelled chorus."""

SONG = """[Verse 1]
Driving down the highway in the night
Fire in my eyes and the road so bright

[Chorus]
We run, we burn, we never stop
Fight the night until we drop

Cold rain falls on the empty road
Night and road and a heavy load

We run, we burn, we never stop
Fight the night until we drop
"""
