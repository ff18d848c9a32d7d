"""The protected-attribute guard: citizenship, nationality, ethnicity and religion never reach a score.

The mission report warns that "national origin does not automatically confer vulnerable status".
Every path that turns answers into a score or a model (the transparent score, the logistic model)
calls :func:`assert_no_protected` on the exact list of inputs it is about to use, so a protected
column cannot slip in by a renamed questionnaire item or a careless feature list.
"""

from __future__ import annotations

from collections.abc import Iterable

from lantern.errors import LanternError, Problem
from lantern.screening.spec import ScreeningSpec, is_protected, spec_for

# Always refused, whatever scoring.yaml lists (the list there can add words, not remove these).
ALWAYS_PROTECTED: tuple[str, ...] = ("citizenship", "nationality", "ethnicity", "religion")


def protected_words(spec: ScreeningSpec | None = None) -> tuple[str, ...]:
    """The words that mark a protected attribute: the fixed four plus the standard's list."""
    extra = spec.protected if spec is not None else ()
    return tuple(dict.fromkeys(ALWAYS_PROTECTED + tuple(extra)))


def assert_no_protected(names: Iterable[str], *, spec: ScreeningSpec | None = None, where: str = "model") -> None:
    """Raise a :class:`~lantern.errors.LanternError` if any input name is a protected attribute.

    Parameters
    ----------
    names : iterable of str
        Column or feature names about to be used as inputs.
    spec : ScreeningSpec, optional
        Adds the standard's own list of protected words (``scoring.yaml: protected_attributes``).
    where : str
        What would have received the input (shown in the message).
    """
    words = protected_words(spec if spec is not None else _safe_spec())
    bad = [name for name in names if is_protected(str(name), words)]
    if bad:
        raise LanternError(
            [
                Problem(
                    reason=f"a protected attribute may never be an input of the {where} "
                    "(citizenship, nationality, ethnicity and religion are excluded by design)",
                    field=str(name),
                    record=where,
                )
                for name in bad
            ]
        )


def _safe_spec() -> ScreeningSpec | None:
    try:
        return spec_for(None)
    except Exception:  # the guard must work even without a loadable standard
        return None
