"""A leaderboard from blind pairwise votes: Bradley-Terry scores with bootstrap intervals.

A vote says which of two systems (lyrics models, prompts, settings: any name) wrote the better
take: `"a"`, `"b"`, `"tie"` or `"both_bad"`. The Bradley-Terry model gives every system a
log-strength theta and says system i beats system j with probability
sigmoid(theta_i - theta_j). `leaderboard()` fits it by regularised maximum likelihood:

* a win counts 1 for the winner; a tie counts half a win to each side;
* "both bad" counts as a tie by default (`both_bad="tie"`: neither was preferred, and a tie between
  two poor takes says the two systems are alike); `both_bad="skip"` leaves those votes out of the
  fit and the win rates, while still counting them in `votes` and `both_bad`;
* an L2 penalty `regularization / 2 * sum(theta**2)`, a Gaussian prior of standard deviation
  1 / sqrt(regularization) on each log-strength, keeps the fit finite when a system never won (or
  never lost) and pulls systems with few votes towards the middle; with many votes it hardly
  matters. At the optimum the log-strengths sum to zero, so the average system scores `base`.

Scores are on the Elo scale: `base + 400 * log10(e) * theta` (1000 for the average system; a
system 400 points above another is expected to win 10 votes in 11 against it, ties counting half).
The 95% interval is the 2.5 and 97.5 percentiles of the score over `rounds` bootstrap fits, each
on as many votes resampled with replacement from the votes (drawn as one multinomial over the
distinct (pair, outcome) cells, which is the same distribution and much faster); `seed` makes it
repeat exactly. Systems with fewer than `min_votes` votes are fitted too (their votes inform the
others' scores) but listed apart, unranked, in `Leaderboard.provisional`.

No votes at all gives an empty leaderboard (not an error). Malformed votes raise
`InvalidRequestError` naming the vote and the field.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .errors import InvalidRequestError

OUTCOMES = ("a", "b", "tie", "both_bad")
BOTH_BAD_AS = ("tie", "skip")
ELO_PER_NAT = 400 / math.log(10)  # Elo points per unit of log-strength (about 173.7)
DEFAULT_ROUNDS = 200
DEFAULT_MIN_VOTES = 10
DEFAULT_REGULARIZATION = 0.1
DEFAULT_BASE = 1000.0


@dataclass(frozen=True)
class Vote:
    """One blind comparison: `outcome` is "a" (system_a's take was better), "b", "tie" or "both_bad"."""

    system_a: str
    system_b: str
    outcome: str


@dataclass(frozen=True)
class SystemScore:
    """One system on the leaderboard.

    `score` is on the Elo scale (see the module docstring); `low`/`high` its bootstrap 95% interval
    (None when `rounds` is 0). `ties` are the votes called a tie, `both_bad` those where both takes
    were bad (counted as ties in the fit unless `both_bad="skip"`). `win_rate` is the share of its
    votes in the fit that it won, a tie counting half (None when it has none). `rank` is 1 for the
    best ranked system, None for a system listed apart with too few votes."""

    system: str
    score: float
    low: float | None
    high: float | None
    wins: int
    losses: int
    ties: int
    both_bad: int
    votes: int
    win_rate: float | None
    rank: int | None
    log_strength: float  # theta, the fitted natural-log strength (0 for the average system)


@dataclass(frozen=True)
class Leaderboard:
    """`ranked`: the systems with at least `min_votes` votes, best first. `provisional`: the others,
    by score, unranked. `votes`: the votes given; `fitted_votes`: those used in the fit."""

    ranked: list[SystemScore]
    provisional: list[SystemScore]
    votes: int
    fitted_votes: int
    rounds: int
    seed: int | None
    min_votes: int
    both_bad: str
    regularization: float
    base: float
    settings: dict = field(default_factory=dict)

    @property
    def systems(self) -> list[SystemScore]:
        """Every system: the ranked ones, then the provisional ones."""
        return self.ranked + self.provisional

    def get(self, system: str) -> SystemScore:
        """The entry of `system`. Raises `KeyError` when it had no votes and was not named."""
        for entry in self.systems:
            if entry.system == system:
                return entry
        raise KeyError(system)


def win_probability(score_a: float, score_b: float) -> float:
    """The chance that a system scored `score_a` beats one scored `score_b` (Elo scale, a tie as half)."""
    return 1.0 / (1.0 + 10.0 ** ((score_b - score_a) / 400.0))


def _vote_fields(vote, index: int) -> tuple[str, str, str]:
    if isinstance(vote, Vote):
        a, b, outcome = vote.system_a, vote.system_b, vote.outcome
    elif isinstance(vote, Mapping):
        try:
            a, b, outcome = vote["system_a"], vote["system_b"], vote["outcome"]
        except KeyError as missing:
            raise InvalidRequestError(f"votes[{index}]", f"has no {missing.args[0]!r} key") from None
    elif isinstance(vote, Sequence) and not isinstance(vote, (str, bytes)) and len(vote) == 3:
        a, b, outcome = vote
    else:
        raise InvalidRequestError(f"votes[{index}]", "must be a Vote, a mapping with system_a, system_b and "
                                  f"outcome, or a (system_a, system_b, outcome) tuple, not {type(vote).__name__}")
    for name, value in (("system_a", a), ("system_b", b)):
        if not isinstance(value, str) or not value.strip():
            raise InvalidRequestError(f"votes[{index}].{name}", f"must be a non-empty system name, not {value!r}")
    if a == b:
        raise InvalidRequestError(f"votes[{index}]", f"compares system {a!r} with itself")
    if outcome not in OUTCOMES:
        raise InvalidRequestError(f"votes[{index}].outcome", f"must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
    return a, b, outcome


def _check_settings(rounds, min_votes, both_bad, regularization, seed) -> None:
    for name, value, least in (("rounds", rounds, 0), ("min_votes", min_votes, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise InvalidRequestError(name, f"must be a whole number of at least {least}, not {value!r}")
    if both_bad not in BOTH_BAD_AS:
        raise InvalidRequestError("both_bad", f"must be one of {', '.join(BOTH_BAD_AS)}, not {both_bad!r}")
    if isinstance(regularization, bool) or not isinstance(regularization, (int, float)) \
            or not math.isfinite(regularization) or not regularization > 0:
        raise InvalidRequestError("regularization", f"must be a positive number, not {regularization!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise InvalidRequestError("seed", f"must be a whole number of at least 0 or None, not {seed!r}")


def leaderboard(votes: Iterable, *, systems: Iterable[str] = (), rounds: int = DEFAULT_ROUNDS, seed: int | None = 0,
                min_votes: int = DEFAULT_MIN_VOTES, both_bad: str = "tie",
                regularization: float = DEFAULT_REGULARIZATION, base: float = DEFAULT_BASE) -> Leaderboard:
    """The Bradley-Terry leaderboard of `votes` (see the module docstring).

    `votes`: `Vote`s, mappings with system_a, system_b and outcome, or (system_a, system_b, outcome)
    tuples. `systems`: names to list even with no votes (provisional, scored `base`). `rounds`:
    bootstrap fits for the intervals (0: none). `seed`: the bootstrap's seed (None: fresh each call).

    Raises `InvalidRequestError` for a malformed vote (naming `votes[i]` and the field) or setting."""
    _check_settings(rounds, min_votes, both_bad, regularization, seed)
    names: dict[str, int] = {}
    rows = []  # (index of a, index of b, outcome code)
    for i, vote in enumerate(votes):
        a, b, outcome = _vote_fields(vote, i)
        rows.append((names.setdefault(a, len(names)), names.setdefault(b, len(names)), OUTCOMES.index(outcome)))
    for name in systems:
        if not isinstance(name, str) or not name.strip():
            raise InvalidRequestError("systems", f"must hold non-empty system names, not {name!r}")
        names.setdefault(name, len(names))
    settings = dict(rounds=rounds, seed=seed, min_votes=min_votes, both_bad=both_bad,
                    regularization=float(regularization), base=float(base))
    n = len(names)
    if n == 0:
        return Leaderboard([], [], 0, 0, settings=settings, **settings)

    table = np.array(rows, dtype=np.int64).reshape(-1, 3)
    counts = _counts(table, n)
    fitted = table if both_bad == "tie" else table[table[:, 2] != OUTCOMES.index("both_bad")]
    # The distinct (a, b, outcome) cells and how many votes fell in each: the fit and the bootstrap
    # work on these few counts, never on the votes one by one.
    cells, cell_votes = np.unique(fitted, axis=0, return_counts=True) if len(fitted) else (np.zeros((0, 3), np.int64), np.zeros(0, np.int64))
    theta = _fit(_wins(cells, cell_votes[None, :], n), regularization)[0]
    low = high = None
    if rounds and len(fitted):
        rng = np.random.default_rng(seed)
        draws = rng.multinomial(len(fitted), cell_votes / cell_votes.sum(), size=rounds)
        boot = _fit(_wins(cells, draws, n), regularization) * ELO_PER_NAT + base
        low, high = np.percentile(boot, [2.5, 97.5], axis=0)

    entries = []
    for name, i in names.items():
        wins, losses, ties, bad = (int(c) for c in counts[i])
        in_fit = wins + losses + ties + (bad if both_bad == "tie" else 0)
        draws_ = ties + (bad if both_bad == "tie" else 0)
        entries.append(dict(
            system=name, score=float(base + ELO_PER_NAT * theta[i]),
            low=float(low[i]) if low is not None else None, high=float(high[i]) if high is not None else None,
            wins=wins, losses=losses, ties=ties, both_bad=bad, votes=wins + losses + ties + bad,
            win_rate=(wins + 0.5 * draws_) / in_fit if in_fit else None, log_strength=float(theta[i])))
    entries.sort(key=lambda e: (-e["score"], -e["votes"], e["system"]))
    ranked = [SystemScore(**e, rank=r) for r, e in enumerate((e for e in entries if e["votes"] >= min_votes), 1)]
    provisional = [SystemScore(**e, rank=None) for e in entries if e["votes"] < min_votes]
    return Leaderboard(ranked, provisional, len(table), len(fitted), settings=settings, **settings)


def _counts(table: np.ndarray, n: int) -> np.ndarray:
    """(n, 4) array: wins, losses, ties, both-bad votes of each system."""
    counts = np.zeros((n, 4), dtype=np.int64)
    a, b, outcome = table[:, 0], table[:, 1], table[:, 2]
    for code, (for_a, for_b) in enumerate(((0, 1), (1, 0), (2, 2), (3, 3))):  # a wins, b wins, tie, both bad
        chosen = outcome == code
        np.add.at(counts[:, for_a], a[chosen], 1)
        np.add.at(counts[:, for_b], b[chosen], 1)
    return counts


def _wins(cells: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """(rounds, n, n) win matrices from cell counts (`weights`: (rounds, cells)): W[r, i, j] is how
    often i beat j in round r, a tie (or a both-bad vote, when it is in `cells`) counting half to each."""
    rounds = weights.shape[0]
    wins = np.zeros((rounds, n, n))
    if len(cells) == 0:
        return wins
    a, b, outcome = cells[:, 0], cells[:, 1], cells[:, 2]
    to_a = np.where(outcome == 0, 1.0, np.where(outcome == 1, 0.0, 0.5))  # a's share of each cell's votes
    flat = wins.reshape(rounds, n * n)
    for r in range(rounds):  # bincount per round: a few microseconds each
        flat[r] = np.bincount(a * n + b, weights[r] * to_a, minlength=n * n) \
            + np.bincount(b * n + a, weights[r] * (1 - to_a), minlength=n * n)
    return wins


def _objective(theta: np.ndarray, wins: np.ndarray, alpha: float) -> np.ndarray:
    """The penalised negative log-likelihood of each round (theta: (rounds, n))."""
    diff = theta[:, :, None] - theta[:, None, :]
    return (wins * np.logaddexp(0.0, -diff)).sum(axis=(1, 2)) + 0.5 * alpha * (theta ** 2).sum(axis=1)


def _fit(wins: np.ndarray, alpha: float, tol: float = 1e-9, max_iter: int = 100) -> np.ndarray:
    """The log-strengths minimising `_objective`, by Newton's method on all rounds at once.

    The objective is strictly convex (the penalty), so Newton converges; a step that does not lower a
    round's objective is halved until it does (a far-off start on lopsided votes can overshoot)."""
    rounds, n, _ = wins.shape
    theta = np.zeros((rounds, n))
    games = wins + wins.transpose(0, 2, 1)
    eye = np.eye(n)
    current = _objective(theta, wins, alpha)
    for _ in range(max_iter):
        diff = theta[:, :, None] - theta[:, None, :]
        p = 1.0 / (1.0 + np.exp(-diff))  # p[r, i, j]: chance that i beats j
        grad = (games * p - wins).sum(axis=2) + alpha * theta
        weight = games * p * (1.0 - p)
        hessian = -weight + eye * (weight.sum(axis=2) + alpha)[:, :, None]
        step = np.linalg.solve(hessian, grad[:, :, None])[:, :, 0]
        scale = np.ones(rounds)
        for _halving in range(40):
            trial = theta - scale[:, None] * step
            value = _objective(trial, wins, alpha)
            worse = value > current + 1e-12 * (1 + np.abs(current))
            if not worse.any():
                break
            scale[worse] *= 0.5
        moved = np.where(worse[:, None], 0.0, scale[:, None] * step)  # a round that found no lower value stays
        theta, current = theta - moved, np.where(worse, current, value)
        if np.abs(moved).max() < tol:
            break
    return theta
