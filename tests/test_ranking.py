"""songgen_core.ranking: Bradley-Terry leaderboard from pairwise votes (issue 12)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from songgen_core.errors import InvalidRequestError
from songgen_core.ranking import ELO_PER_NAT, Vote, leaderboard, win_probability


def _votes(spec):
    """[(a, b, outcome, how many)] -> the votes, alternating which side each system is shown on."""
    votes = []
    for a, b, outcome, count in spec:
        swapped = {"a": "b", "b": "a"}.get(outcome, outcome)
        votes += [(a, b, outcome) if k % 2 == 0 else (b, a, swapped) for k in range(count)]
    return votes


KNOWN_ORDER = _votes([("best", "mid", "a", 16), ("mid", "best", "a", 4), ("mid", "worst", "a", 15), ("worst", "mid", "a", 5),
                      ("best", "worst", "a", 18), ("worst", "best", "a", 2), ("best", "mid", "tie", 4)])


def test_known_order_scores_intervals_and_counts():
    board = leaderboard(KNOWN_ORDER, min_votes=5, seed=3)
    assert [s.system for s in board.ranked] == ["best", "mid", "worst"] and [s.rank for s in board.ranked] == [1, 2, 3]
    best, mid, worst = board.ranked
    assert (best.wins, best.losses, best.ties, best.votes) == (34, 6, 4, 44)
    assert best.win_rate == pytest.approx((34 + 2) / 44)
    assert all(s.low < s.score < s.high for s in board.ranked)
    assert best.low > worst.high  # a clear gap is outside the noise
    # The average system scores 1000: the fitted log-strengths sum to zero.
    assert sum(s.log_strength for s in board.ranked) == pytest.approx(0, abs=1e-9)
    assert board.votes == board.fitted_votes == len(KNOWN_ORDER) and board.rounds == 200 and not board.provisional
    assert win_probability(best.score, worst.score) == pytest.approx(1 / (1 + math.exp(worst.log_strength - best.log_strength)))


def test_the_fit_is_the_penalised_maximum_likelihood():
    """At the optimum the gradient of the penalised log-likelihood vanishes (ties count half each)."""
    alpha = 0.1
    board = leaderboard(KNOWN_ORDER, rounds=0, regularization=alpha, min_votes=0)
    theta = {s.system: s.log_strength for s in board.systems}
    grad = dict.fromkeys(theta, 0.0)
    for a, b, outcome in KNOWN_ORDER:
        p = 1 / (1 + math.exp(theta[b] - theta[a]))
        won = {"a": 1.0, "b": 0.0}.get(outcome, 0.5)
        grad[a] += won - p
        grad[b] -= won - p
    for name in theta:
        assert grad[name] - alpha * theta[name] == pytest.approx(0, abs=1e-7)
    assert board.ranked[0].low is None and board.ranked[0].high is None  # rounds=0: no interval


def test_two_systems_with_even_votes_score_the_same():
    board = leaderboard(_votes([("x", "y", "a", 10), ("x", "y", "b", 10), ("x", "y", "tie", 6)]), seed=1)
    x, y = board.get("x"), board.get("y")
    assert x.score == pytest.approx(1000) and y.score == pytest.approx(1000) and x.win_rate == pytest.approx(0.5)
    assert x.low < 1000 < x.high


def test_ties_count_half_and_both_bad_as_a_tie_or_skipped():
    ties = _votes([("x", "y", "a", 12), ("x", "y", "tie", 12)])
    bad = _votes([("x", "y", "a", 12), ("x", "y", "both_bad", 12)])
    as_tie = leaderboard(ties, rounds=0)
    assert as_tie.get("x").win_rate == pytest.approx(18 / 24) and as_tie.get("x").ties == 12
    # The optimum of 18 wins in 24 with the prior: a little below log(3) (unpenalised), above zero.
    assert 0 < as_tie.get("x").log_strength - as_tie.get("y").log_strength < math.log(3)
    bad_tie = leaderboard(bad, rounds=0)
    assert bad_tie.get("x").score == pytest.approx(as_tie.get("x").score)
    assert (bad_tie.get("x").ties, bad_tie.get("x").both_bad, bad_tie.get("x").votes) == (0, 12, 24)
    skipped = leaderboard(bad, rounds=0, both_bad="skip")
    assert skipped.fitted_votes == 12 and skipped.votes == 24 and skipped.get("x").votes == 24
    assert skipped.get("x").win_rate == 1.0 and skipped.get("x").score > bad_tie.get("x").score


def test_a_system_that_never_won_gets_a_finite_score_last():
    votes = KNOWN_ORDER + _votes([("loser", "worst", "b", 8), ("loser", "mid", "b", 6)])
    board = leaderboard(votes, min_votes=5, seed=0)
    loser = board.ranked[-1]
    assert loser.system == "loser" and loser.wins == 0 and loser.win_rate == 0.0
    assert all(math.isfinite(v) for v in (loser.score, loser.low, loser.high)) and loser.score < board.get("worst").score
    # Weaker regularisation lets it fall further, never to minus infinity.
    assert math.isfinite(leaderboard(votes, rounds=0, regularization=1e-6).get("loser").score)


def test_too_few_votes_are_listed_apart_and_named_systems_without_votes_too():
    votes = KNOWN_ORDER + [("newcomer", "best", "a")]
    board = leaderboard(votes, min_votes=10, systems=["silent"], seed=0)
    assert [s.system for s in board.ranked] == ["best", "mid", "worst"]
    provisional = {s.system: s for s in board.provisional}
    assert set(provisional) == {"newcomer", "silent"} and all(s.rank is None for s in provisional.values())
    newcomer = provisional["newcomer"]
    assert (newcomer.votes, newcomer.wins) == (1, 1) and newcomer.high - newcomer.low > 100  # one vote: wide
    silent = provisional["silent"]
    assert (silent.votes, silent.score, silent.win_rate) == (0, 1000.0, None)
    assert board.get("best").votes == 45  # the newcomer's vote is counted for its opponent too
    with pytest.raises(KeyError):
        board.get("nobody")
    assert "newcomer" in {s.system for s in leaderboard(votes, min_votes=0, rounds=0).ranked}  # min_votes=0 ranks all


def test_a_single_vote_and_no_votes():
    one = leaderboard([Vote("a", "b", "a")], min_votes=1, seed=0)
    assert [s.system for s in one.ranked] == ["a", "b"] and one.ranked[0].score > 1000 > one.ranked[1].score
    # Every bootstrap round redraws the one vote: the interval is the point.
    assert one.ranked[0].low == pytest.approx(one.ranked[0].score) == pytest.approx(one.ranked[0].high)
    empty = leaderboard([])
    assert empty.ranked == [] and empty.provisional == [] and empty.votes == 0 and empty.systems == []
    assert [s.system for s in leaderboard([], systems=["x"]).provisional] == ["x"]


def test_votes_as_mappings_tuples_and_votes_agree():
    as_tuples = leaderboard(KNOWN_ORDER, seed=5)
    as_maps = leaderboard([{"system_a": a, "system_b": b, "outcome": o} for a, b, o in KNOWN_ORDER], seed=5)
    as_votes = leaderboard((Vote(*v) for v in KNOWN_ORDER), seed=5)  # any iterable
    assert as_tuples.ranked == as_maps.ranked == as_votes.ranked


def test_the_seed_makes_the_intervals_repeat():
    first, again = (leaderboard(KNOWN_ORDER, seed=11) for _ in range(2))
    assert first == again
    other = leaderboard(KNOWN_ORDER, seed=12)
    assert [s.score for s in other.ranked] == [s.score for s in first.ranked]  # the fit does not depend on it
    assert [(s.low, s.high) for s in other.ranked] != [(s.low, s.high) for s in first.ranked]


def test_bootstrap_resamples_votes():
    """The multinomial draw over (pair, outcome) cells matches resampling the votes one by one: the interval
    of a 30-70 split is close to the binomial one around the fitted difference."""
    votes = _votes([("x", "y", "a", 70), ("x", "y", "b", 30)])
    board = leaderboard(votes, seed=0, rounds=400, regularization=1e-6)
    x = board.get("x")
    # Half the Elo difference is x's score above 1000; its standard error by the delta method.
    se = ELO_PER_NAT / 2 / math.sqrt(100 * 0.7 * 0.3)
    assert x.score - 1000 == pytest.approx(ELO_PER_NAT / 2 * math.log(70 / 30), rel=1e-4)
    assert (x.high - x.low) / (2 * 1.96 * se) == pytest.approx(1, abs=0.2)


@pytest.mark.parametrize("vote, field", [
    (("a", "a", "a"), "votes[0]"),
    (("a", "b", "win"), "votes[0].outcome"),
    (("", "b", "a"), "votes[0].system_a"),
    (("a", None, "a"), "votes[0].system_b"),
    ({"system_a": "a", "outcome": "a"}, "votes[0]"),
    ("a,b,a", "votes[0]"),
])
def test_bad_votes_raise_naming_the_field(vote, field):
    with pytest.raises(InvalidRequestError) as error:
        leaderboard([vote])
    assert error.value.field == field


@pytest.mark.parametrize("setting", [{"rounds": -1}, {"min_votes": 1.5}, {"both_bad": "loss"}, {"regularization": 0},
                                     {"regularization": float("nan")}, {"seed": -3}, {"systems": [""]}])
def test_bad_settings_raise(setting):
    with pytest.raises(InvalidRequestError):
        leaderboard(KNOWN_ORDER, **setting)


def test_the_ranking_recovers_random_strengths():
    rng = np.random.default_rng(0)
    strengths = np.linspace(-1.5, 1.5, 6)
    votes = []
    for _ in range(3000):
        i, j = rng.choice(6, 2, replace=False)
        votes.append((f"s{i}", f"s{j}", "a" if rng.random() < 1 / (1 + np.exp(strengths[j] - strengths[i])) else "b"))
    board = leaderboard(votes, seed=0)
    assert [s.system for s in board.ranked] == [f"s{i}" for i in range(5, -1, -1)]
    fitted = np.array([board.get(f"s{i}").log_strength for i in range(6)])
    assert np.abs(fitted - strengths).max() < 0.3  # about 1000 votes each: a standard error near 0.08
    covered = [board.get(f"s{i}").low <= 1000 + ELO_PER_NAT * strengths[i] <= board.get(f"s{i}").high for i in range(6)]
    assert sum(covered) >= 5
