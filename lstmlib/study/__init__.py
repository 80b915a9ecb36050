"""Chapter-independent study machinery: jobs and the runner (``jobs``), results and figure files
(``results``) and the shared figure and table helpers (``figures``)."""

from . import figures, jobs, results

__all__ = ["figures", "jobs", "results"]
