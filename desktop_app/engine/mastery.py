"""Mastery model: P(next answer right) and a 0-100 mastery score per student and concept.

Why this model. On real practice data (ASSISTments 2009, see `evaluate.py`) a logistic model
over a handful of counters of the student's history beats Bayesian Knowledge Tracing and deep
models (Gervet et al. 2020, "Best-LR"), and it updates online by incrementing counters, which
is what a desktop app needs on every answer. The logit of a correct answer is

    intercept + concept_intercept[c] - difficulty[q]                 (the "base": fresh student)
    + sum_j (weights[j] + concept_weights[c][j]) * feature_j          (this student's history)

with the features of `FEATURES`: log counts of successes/failures on the concept and overall,
earlier attempts at the same question, the last answer on the concept, and an ability term:
the student's running residual (answer minus the base prediction) overall and on the concept,
as a shrunk mean and as a recency-weighted average. All fitted numbers live in `ModelParams`,
plain data (JSON) carried by a question bank or sent by the server; `fitting.py` fits them.

Evidence the dataset cannot validate is used modestly and leaves the fitted model unchanged
when absent: self-reported confidence and response time scale how much one answer counts
(`_evidence_weight`, between about 0.7 and 1.3), and forgetting discounts the positive part of the
concept's history by a half-life retention (`recall`) that grows with spaced successes.

Pure standard library, deterministic: "now" is always an argument, never read from a clock.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone

FEATURES: tuple[str, ...] = (
    "concept_successes",  # log(1 + successes on this concept)
    "concept_failures",  # log(1 + failures on this concept)
    "question_attempts",  # log(1 + earlier attempts at this very question)
    "last_correct",  # 1 if the last answer on this concept was right
    "last_wrong",  # 1 if it was wrong
    "concept_ability",  # concept residual sum / (concept attempts + concept_prior)
    "concept_recent",  # exponentially weighted concept residual (recency)
    "total_successes",  # log(1 + successes on all concepts)
    "total_failures",  # log(1 + failures on all concepts)
    "ability",  # overall residual sum / (attempts + ability_prior): an online ability
    "recent_ability",  # exponentially weighted overall residual
)
N_LOCAL = 7  # FEATURES[:N_LOCAL] describe this concept and are subject to forgetting
PER_CONCEPT: tuple[str, ...] = ("concept_successes", "concept_failures")  # may vary by concept

DAY = 86_400.0
_MAX_LOGIT = 12.0  # keeps probabilities strictly inside (0, 1)
# Evidence weights (not fitted: the dataset has no confidence or timing; see _evidence_weight).
CONFIDENCE_STEP_CORRECT = 0.10  # correct at confidence 1..5 counts 0.8 .. 1.2
CONFIDENCE_STEP_WRONG = 0.15  # wrong at confidence 4, 5 counts 1.15, 1.3 (a misconception)
SPEED_STEP = 0.10  # correct twice as fast as usual counts 1.1, twice as slow 0.9
TIME_MEMORY = 0.9  # decay of the student's typical log response time


@dataclass(frozen=True)
class Response:
    """One answered question, as evidence. Ids are strings (UUIDs in the app).

    `difficulty` is the author's stated difficulty 1..5, used only when the parameters hold no
    fitted difficulty for the question. An empty `question_id` means "question unknown".
    """

    concept_id: str
    question_id: str
    correct: bool
    at: datetime | None = None
    time_seconds: float | None = None
    confidence: int | None = None
    difficulty: int | None = None


@dataclass
class ModelParams:
    """Everything fitted or chosen about the model, as JSON-able data keyed by id strings.

    `question_difficulty` is a logit (higher = harder) relative to its concept; a question
    without one uses `stated_difficulty[d - 1]` for its author's difficulty d, else 0.
    The forgetting constants are design choices (no timestamps to fit them on), kept here so
    a server can retune them without a new app release.
    """

    intercept: float = 0.0
    weights: dict[str, float] = field(default_factory=dict)
    concept_intercepts: dict[str, float] = field(default_factory=dict)
    concept_weights: dict[str, dict[str, float]] = field(default_factory=dict)
    question_difficulty: dict[str, float] = field(default_factory=dict)
    # Author's 1..5 as logits: the 10/30/50/70/90th percentiles of fitted question
    # difficulties on ASSISTments 2009 (a question's spread around its concept).
    stated_difficulty: list[float] = field(default_factory=lambda: [-0.8, -0.4, 0.0, 0.4, 0.8])
    ability_prior: float = 5.0
    concept_prior: float = 3.0
    concept_memory: float = 0.7
    ability_memory: float = 0.9
    initial_half_life_days: float = 1.0
    min_half_life_days: float = 0.25
    max_half_life_days: float = 365.0
    practice_growth: float = 0.1  # half-life x(1 + this) per correct answer ...
    spacing_growth: float = 1.5  # ... plus this x (1 - retention when answered): spacing effect
    lapse_factor: float = 0.7  # half-life x this per wrong answer
    # The score a student reads is discounted until this many answers back it (see mastery).
    evidence_prior: float = 2.0
    source: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "ModelParams":
        """Inverse of to_dict; unknown keys are ignored, missing ones take their defaults."""
        return cls(**_known(cls, d))

    @classmethod
    def default(cls) -> "ModelParams":
        """Global weights fitted on ASSISTments 2009 (no item or concept values): a sensible
        start for a bank that has no fitted parameters of its own."""
        return cls(
            intercept=-0.24,
            weights={
                "concept_successes": 0.14, "concept_failures": 0.0, "question_attempts": 0.02,
                "last_correct": 0.49, "last_wrong": 0.29, "concept_ability": 0.40,
                "concept_recent": 0.84, "total_successes": 0.14, "total_failures": -0.21,
                "ability": 1.67, "recent_ability": 1.73,
            },
            source="default: shared weights fitted on ASSISTments 2009 (evaluate.py)",
        )


@dataclass
class ConceptState:
    """What the model keeps about one student on one concept (weighted counts, residuals)."""

    successes: float = 0.0
    failures: float = 0.0
    attempts: int = 0
    last: int = 0  # +1 last answer right, -1 wrong, 0 none yet
    residual: float = 0.0
    recent: float = 0.0
    half_life_days: float = 0.0  # set on the first answer
    last_at: float | None = None  # POSIX seconds of the latest timestamped answer
    confident_errors: int = 0  # wrong answers given with confidence >= 4


@dataclass
class StudentState:
    """Everything the model keeps about one student, across concepts; JSON via to_dict."""

    concepts: dict[str, ConceptState] = field(default_factory=dict)
    question_attempts: dict[str, int] = field(default_factory=dict)
    successes: float = 0.0
    failures: float = 0.0
    residual: float = 0.0
    recent: float = 0.0
    log_time: float | None = None  # typical log response time, for "fast"/"slow"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "StudentState":
        """Inverse of to_dict; keys this version does not know are ignored (a newer app may
        have written the state)."""
        concepts = {k: ConceptState(**_known(ConceptState, v)) for k, v in d.get("concepts", {}).items()}
        rest = _known(cls, d)
        rest.pop("concepts", None)
        return cls(concepts=concepts, **rest)


def _known(cls: type, d: dict) -> dict:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in d.items() if k in names}


def _sigmoid(z: float) -> float:
    z = max(-_MAX_LOGIT, min(_MAX_LOGIT, z))
    return 1.0 / (1.0 + math.exp(-z))


def _seconds(at: datetime | None) -> float | None:
    """POSIX seconds; a naive datetime is taken as UTC so naive and aware never clash."""
    if at is None:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.timestamp()


class MasteryModel:
    """Online mastery model. Not thread-safe per state; the model object itself is read-only.

    Order contract: `update` applies answers in call order, and `replay` applies them sorted by
    `at` (untimestamped answers first), ties kept in the order given. Two devices holding the
    same attempts in the same order therefore hold the same state; callers should pass ties
    in a stable order (e.g. by attempt UUIDv7).
    """

    def __init__(self, params: ModelParams | None = None) -> None:
        self.params = p = params or ModelParams.default()
        self._w = tuple(float(p.weights.get(name, 0.0)) for name in FEATURES)
        self._dev = {
            c: tuple(float(d.get(name, 0.0)) for name in PER_CONCEPT)
            for c, d in p.concept_weights.items()
        }

    def new_state(self) -> StudentState:
        return StudentState()

    # -- the model's inputs -------------------------------------------------------------
    def base_logit(self, concept_id: str, question_id: str, difficulty: int | None = None) -> float:
        """Logit of success for a student with no history (question and concept only)."""
        p = self.params
        hard = p.question_difficulty.get(question_id) if question_id else None
        if hard is None:
            hard = p.stated_difficulty[min(5, max(1, difficulty)) - 1] if difficulty else 0.0
        return p.intercept + p.concept_intercepts.get(concept_id, 0.0) - hard

    def features(self, state: StudentState, *, concept_id: str, question_id: str) -> list[float]:
        """The feature vector of `FEATURES` before the next answer (no forgetting applied).

        Public because fitting computes its training features with this very function, which
        is what makes the fitted model and the online model the same model.
        """
        p = self.params
        c = state.concepts.get(concept_id) or ConceptState()
        n_c = c.successes + c.failures
        seen = state.question_attempts.get(question_id, 0) if question_id else 0
        return [
            math.log1p(c.successes),
            math.log1p(c.failures),
            math.log1p(seen),
            1.0 if c.last > 0 else 0.0,
            1.0 if c.last < 0 else 0.0,
            c.residual / (n_c + p.concept_prior),
            c.recent,
            math.log1p(state.successes),
            math.log1p(state.failures),
            state.residual / (state.successes + state.failures + p.ability_prior),
            state.recent,
        ]

    def _logit(self, state: StudentState, concept_id: str, question_id: str,
               difficulty: int | None, now: datetime | None) -> float:
        x = self.features(state, concept_id=concept_id, question_id=question_id)
        w = self._w
        dev = self._dev.get(concept_id)
        local = sum(w[j] * x[j] for j in range(N_LOCAL))
        if dev is not None:
            local += dev[0] * x[0] + dev[1] * x[1]
        if local > 0.0 and now is not None:
            # Forgetting erodes what was gained, never a demonstrated weakness.
            local *= self.recall(state, concept_id, now)
        overall = sum(w[j] * x[j] for j in range(N_LOCAL, len(FEATURES)))
        return self.base_logit(concept_id, question_id, difficulty) + overall + local

    # -- public reads -------------------------------------------------------------------
    def predict(self, state: StudentState, *, concept_id: str, question_id: str,
                difficulty: int | None = None, now: datetime | None = None) -> float:
        """P(the next answer to this question is right), strictly inside (0, 1)."""
        return _sigmoid(self._logit(state, concept_id, question_id, difficulty, now))

    def mastery(self, state: StudentState, concept_id: str, now: datetime | None = None) -> float:
        """Mastery 0..100: predicted % success on an unseen question of the concept's average
        difficulty, with forgetting applied at `now`, weighed by the evidence that backs it:
        x s / (s + evidence_prior) for s (weighted) right answers on the concept. A single
        lucky answer is not mastery: students and teachers expect the score to grow with
        demonstrated success, and a wrong answer never raises it. Predictions (`predict`)
        are not discounted. 0 until the first right answer."""
        c = state.concepts.get(concept_id)
        s = c.successes if c is not None else 0.0
        if s <= 0.0:
            return 0.0
        p = _sigmoid(self._logit(state, concept_id, "", None, now))
        return 100.0 * p * s / (s + self.params.evidence_prior)

    def recall(self, state: StudentState, concept_id: str, now: datetime) -> float:
        """Predicted recall 0..1 of what was learned: 2^(-days since last practice / half-life).

        0.0 for a concept never practised (nothing to review); 1.0 when the time of the last
        practice is unknown (no basis to assume forgetting)."""
        c = state.concepts.get(concept_id)
        if c is None or c.attempts == 0:
            return 0.0
        t = _seconds(now)
        if c.last_at is None or t is None:
            return 1.0
        days = max(0.0, t - c.last_at) / DAY
        return 2.0 ** (-days / c.half_life_days)

    # -- evidence -----------------------------------------------------------------------
    def update(self, state: StudentState, response: Response) -> None:
        """Fold one answer into `state`, in place, O(1). Depends only on state and response."""
        p = self.params
        cid = response.concept_id
        c = state.concepts.get(cid)
        if c is None:
            c = state.concepts[cid] = ConceptState(half_life_days=p.initial_half_life_days)
        w = _evidence_weight(state, response)
        r = (1.0 if response.correct else 0.0) - _sigmoid(
            self.base_logit(cid, response.question_id, response.difficulty))
        at = _seconds(response.at)

        retention = 1.0
        if at is not None and c.last_at is not None:
            retention = 2.0 ** (-max(0.0, at - c.last_at) / DAY / c.half_life_days)
        if response.correct:
            c.half_life_days *= 1.0 + p.practice_growth + p.spacing_growth * (1.0 - retention)
            c.successes += w
            state.successes += w
            c.last = 1
        else:
            c.half_life_days *= p.lapse_factor
            c.failures += w
            state.failures += w
            c.last = -1
            if response.confidence is not None and response.confidence >= 4:
                c.confident_errors += 1
        c.half_life_days = min(p.max_half_life_days, max(p.min_half_life_days, c.half_life_days))
        if at is not None:
            c.last_at = at if c.last_at is None else max(c.last_at, at)

        c.attempts += 1
        c.residual += w * r
        state.residual += w * r
        c.recent += min(1.0, w * (1.0 - p.concept_memory)) * (r - c.recent)
        state.recent += min(1.0, w * (1.0 - p.ability_memory)) * (r - state.recent)
        if response.question_id:
            qid = response.question_id
            state.question_attempts[qid] = state.question_attempts.get(qid, 0) + 1
        if response.time_seconds is not None and response.time_seconds > 0:
            lt = math.log(response.time_seconds)
            state.log_time = lt if state.log_time is None else (
                TIME_MEMORY * state.log_time + (1.0 - TIME_MEMORY) * lt)

    def replay(self, responses: Iterable[Response]) -> StudentState:
        """Recompute a state from attempts alone (sorted by `at`, untimestamped first, ties in
        the order given); equal to calling `update` in that order."""
        indexed = list(enumerate(responses))
        indexed.sort(key=lambda ir: (ir[1].at is not None, _seconds(ir[1].at) or 0.0, ir[0]))
        state = self.new_state()
        for _, response in indexed:
            self.update(state, response)
        return state


def _evidence_weight(state: StudentState, response: Response) -> float:
    """How much one answer counts (1.0 when confidence and time are absent, as when fitted).

    A correct answer counts more when given confidently (less likely a guess) and quickly
    relative to the student's own typical time (fluent); a confident wrong answer counts more
    (a misconception, not a slip). Steps are small on purpose: they are unvalidated.
    """
    w = 1.0
    if response.confidence is not None:
        k = min(5, max(1, response.confidence)) - 3
        if response.correct:
            w *= 1.0 + CONFIDENCE_STEP_CORRECT * k
        elif k > 0:
            w *= 1.0 + CONFIDENCE_STEP_WRONG * k
    t = response.time_seconds
    if response.correct and t is not None and t > 0 and state.log_time is not None:
        octaves = (math.log(t) - state.log_time) / math.log(2.0)
        w *= 1.0 - SPEED_STEP * min(1.0, max(-1.0, octaves))
    return w
