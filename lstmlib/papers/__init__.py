"""One package per paper, named by its bibliography key: the paper's protocol tables with the
published numbers and their tags (``protocols``), the jobs that run them (``jobs``) and what its
chapter shows (``chapter``: summaries, verdicts, scorecard rows, sentences and figures).  Nothing
else in the library imports from here."""

from . import gers2001, gers2002, hochreiter1997

__all__ = ["gers2001", "gers2002", "hochreiter1997"]
