"""Chapter-independent study machinery: jobs and the runner (``jobs``), results and figure files
(``results``), the shared figure and table helpers (``figures``) and the scorecard page (``scorecard``)."""

from . import figures, jobs, results, scorecard

__all__ = ["figures", "jobs", "results", "scorecard"]
