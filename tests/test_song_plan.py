"""Song plans from config/songs.toml: the shipped plans, and clear errors for bad ones."""

import random

import pytest

from songgen_core.errors import ConfigError
from songgen_core.song_plan import (
    LENGTHS, Section, SongPlan, SongPlanError, load_song_plans, parse_song_plans, rhyme_pairs, song_plan,
)


def test_shipped_plans_follow_the_design():
    rock = song_plan("rock", "standard")
    assert [s.name for s in rock.sections] == ["Verse 1", "Chorus", "Verse 2", "Chorus", "Bridge", "Chorus"]
    assert rock.syllables == (7, 11) and rock.words == (150, 250)
    assert [s.repeat_of for s in rock.sections] == [None, None, None, 1, None, 1]
    assert rock.chorus_index() == 1 and set(rock.sections[0].rhyme) == {"ABAB", "AABB"}
    rap = song_plan("rap", "standard")
    assert [(s.name, s.lines) for s in rap.sections] == [("Verse 1", 8), ("Hook", 4), ("Verse 2", 8), ("Hook", 4)]
    assert rap.syllables == (10, 16) and rap.sections[1].chorus
    for genre in ("rock", "pop", "rap", "polka"):  # polka: the _default plan
        for length in LENGTHS:
            plan = song_plan(genre, length)
            assert plan.sections[0].repeat_of is None and plan.chorus_index() is not None
    assert song_plan("rap", "short").written_lines() < song_plan("rap", "long").written_lines()


def test_resolve_draws_one_scheme_per_section_by_seed():
    plan = song_plan("rock")
    a, b = plan.resolve(random.Random(3)), plan.resolve(random.Random(3))
    assert a == b and all(len(s.rhyme) == 1 for s in a.sections)
    assert SongPlan.from_dict(a.to_dict()) == a


def test_scheme_groups_and_pairs():
    assert rhyme_pairs(Section("V", 4, ("ABAB",)).groups()) == [(0, 2), (1, 3)]
    assert rhyme_pairs(Section("V", 4, ("AABB",)).groups()) == [(0, 1), (2, 3)]
    assert rhyme_pairs(Section("V", 4, ("XAXA",)).groups()) == [(1, 3)]
    assert rhyme_pairs(Section("V", 8, ("AABB",)).groups()) == [(0, 1), (2, 3), (4, 5), (6, 7)]
    assert rhyme_pairs(Section("V", 3, ()).groups()) == []


def plans(**rock):
    spec = {"syllables": [7, 11], "sections": [{"name": "Verse 1", "lines": 4, "rhyme": "ABAB"},
                                               {"name": "Chorus", "lines": 4, "rhyme": "AABB"}, {"name": "Chorus"}]}
    return parse_song_plans({"genres": {"rock": {**spec, **rock}}}, "songs.toml")


@pytest.mark.parametrize("change, field, message", [
    ({"sections": []}, "sections", "at least one section"),
    ({"sections": [{"name": "Verse 1", "lines": 0}]}, "sections[0] (Verse 1).lines", "from 1 to"),
    ({"sections": [{"name": "Verse 1", "lines": 4, "rhyme": "ABQB"}]}, "sections[0] (Verse 1).rhyme", "unknown rhyme scheme letter 'Q'"),
    ({"syllables": [11, 7]}, "syllables", "min 11 is greater than max 7"),
    ({"syllables": [7]}, "syllables", "[min, max]"),
    ({"sections": [{"name": "Verse 1", "lines": 6, "rhyme": "ABAB"}]}, "sections[0] (Verse 1).rhyme", "does not divide"),
    ({"sections": [{"name": "Chorus"}]}, "sections (Chorus).lines", "needs a line count"),
    ({"sections": [{"name": "Verse 1", "lines": 4, "rhymes": "ABAB"}]}, "sections[0] (Verse 1).rhymes", "not a section field"),
    ({"sections": [{"name": "Verse 1", "lines": 4, "lengths": ["epic"]}]}, "sections[0] (Verse 1).lengths", "short"),
])
def test_bad_plans_raise_a_typed_error_naming_genre_and_field(change, field, message):
    with pytest.raises(SongPlanError) as caught:
        plans(**change)
    error = caught.value
    assert isinstance(error, ConfigError)
    assert error.genre == "rock" and error.field == field
    assert "genre 'rock'" in str(error) and field in str(error) and message in str(error)


def test_a_new_genre_is_a_few_lines_and_the_file_is_reread_when_it_changes(tmp_path):
    path = tmp_path / "songs.toml"
    path.write_text('[genres.country]\nsyllables = [6, 10]\n'
                    'sections = [{ name = "Verse 1", lines = 2, rhyme = "AA" }, { name = "Chorus", lines = 2 }, { name = "Chorus" }]\n')
    plan = song_plan("country", "short", path)
    assert [s.name for s in plan.sections] == ["Verse 1", "Chorus", "Chorus"] and plan.sections[1].rhyme == ()
    with pytest.raises(ConfigError, match="no plan for genre 'rock'"):
        song_plan("rock", path=path)
    path.write_text('[genres.country]\nsyllables = [6, 10]\nsections = [{ name = "Verse 1", lines = 0 }]\n')
    import os
    os.utime(path, ns=(1, 10**18))
    with pytest.raises(SongPlanError, match="lines"):
        load_song_plans(path)
    with pytest.raises(ConfigError, match="unknown song length"):
        song_plan("rock", "epic")
    with pytest.raises(ConfigError, match="not found"):
        load_song_plans(tmp_path / "missing.toml")
