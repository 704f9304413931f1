"""Hypothesis profiles, hostile value strategies and a row counter for the fuzz tests.

Profiles: `ci` (the default: a few dozen examples per case, so the fuzz files take about a
minute) and `thorough` (HYPOTHESIS_PROFILE=thorough: ten times as many). No example database is
kept on disk: runs stay reproducible from the seed Hypothesis prints on a failure.
"""

from __future__ import annotations

import os
from collections import Counter

from hypothesis import HealthCheck, settings, strategies as st
from sqlalchemy import inspect, text

from forum.extensions import db
from tests.xss_vectors import VECTORS

_COMMON = {
    "deadline": None,
    "database": None,
    # The app fixture is built once per case; examples share it on purpose (state carries on).
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                              HealthCheck.data_too_large],
}
settings.register_profile("ci", max_examples=25, **_COMMON)
settings.register_profile("thorough", max_examples=250, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# How many examples each fuzz case ran; printed at the end of each module.
EXAMPLES: Counter = Counter()

_ODD = st.sampled_from(["", " ", "\x00", "\x00" * 5, "\u202e", "\ufeff", "%00", "-1", "0",
                        "1e309", "NaN", "null", "[]", "{}", "../../etc/passwd",
                        "9" * 40, "2026-02-30", "2026-13-01T25:61", "\r\n" * 3, "\U0001f600"])

# Texts: short and random, known XSS vectors, odd tokens, or oversized (past every limit).
values = st.one_of(
    st.text(max_size=40),
    st.sampled_from([v.text for v in VECTORS]),
    _ODD,
    st.integers().map(str),
    st.builds(lambda piece, n: (piece or "x") * n, st.text(min_size=1, max_size=8),
              st.integers(min_value=300, max_value=12_000)),
)


def form_data(fields: list[str], extra: list[str]):
    """A form: some of its own fields (maybe missing), maybe unknown ones, hostile values."""
    own = st.fixed_dictionaries({}, optional={name: values for name in fields})
    others = st.dictionaries(st.sampled_from(extra), values, max_size=3)
    return st.builds(lambda a, b: {**b, **a}, own, others)


# JSON may carry what no form can: lone UTF-16 surrogates (half an emoji), alone or in text.
_SURROGATES = st.sampled_from(["\ud800", "\udfff", "hi \ud83d", "\ude00 there"])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | values
    | _SURROGATES,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


def row_counts() -> dict[str, int]:
    """Rows in every table the migrations made, in one statement."""
    existing = set(inspect(db.engine).get_table_names())
    names = [t.name for t in db.metadata.sorted_tables if t.name in existing]
    query = "SELECT " + ", ".join(f'(SELECT COUNT(*) FROM "{n}")' for n in names)
    row = db.session.execute(text(query)).one()
    db.session.rollback()  # end the read, so the next request sees fresh data
    return dict(zip(names, row, strict=True))
