#!/usr/bin/env bash
# The thesis protocol at paper scale, Kalman filter only (Pérez-Ortiz 2002, Cuadros 7.6 and 7.7): the DEKF
# over every δ of the tables, on n ∈ [1, 10] and n ∈ [20, 21], aⁿbⁿcⁿ (and aⁿbⁿ on the same conventions),
# 10 nets each, 100,000 strings at most, generalisation tested to n = 10,000. The modern part runs at the
# book's default scale (same numbers as the book's own run), without its Greff and learning-rule sections.
# Hours on one core: resumable across sittings (scripts/pinned_run.sh).
#   bash reference_runs/perezortiz2002thesis_dekf_paper/continue.sh            # start or continue
#   bash reference_runs/perezortiz2002thesis_dekf_paper/continue.sh progress   # write the progress file
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
NAME=perezortiz2002thesis_dekf_paper
if [[ ${1:-run} == progress ]]; then exec bash scripts/pinned_run.sh $NAME 542f242743027618b0247eed60ebaa86b78f7d32 languages progress; fi
exec bash scripts/pinned_run.sh $NAME 542f242743027618b0247eed60ebaa86b78f7d32 languages run -- papermill notebooks/languages.ipynb \
    ../$NAME.out.ipynb --log-output -p scale default -p thesis_scale paper -p thesis_methods dekf \
    -p greff_variants False -p learning_rules False -p workers 1 -p results_dir reference_runs/$NAME \
    -p figures_dir ../$NAME.figures
