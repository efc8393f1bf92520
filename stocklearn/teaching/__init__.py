"""The course for a class: student notebooks, the student book, and autograding.

Everything is derived from the chapters' text sources (``notebooks/NN_name.py``);
a chapter needs nothing beyond what it already has:

* an exercise's **solution** sits between sphinx-exercise's gated markers
  ``solution-start`` and ``solution-end`` (markdown cells), its code in the code
  cells between them;
* a **graded** exercise has, after its ``solution-end``, a code cell tagged
  ``check`` (and ``remove-cell``, so the book does not show it) that tests the
  answer with :mod:`stocklearn.checks`::

      with checks.exercise("ch02-ex3"):
          ...

  The names the check reads that the solution defines are the exercise's
  *answer names*.

From that, ``python -m stocklearn.teaching student`` (``make student``) writes,
for every chapter,

* a **student notebook**: the solutions' prose removed, their code cells
  replaced by one stub cell that sets every answer name to ``...`` (a bare
  ``# your code here`` cell for ungraded exercises), the check cells kept and
  shown;
* an **autograder** for otter-grader (``autograder/NN_name.zip``): one otter test
  per graded exercise that runs the exercise's check cell, verbatim, against
  the notebook's variables at the place of the check cell;

plus the configuration of the **student book** (``_config.yml`` and
``_toc.yml`` in the output folder): the same pages and execution cache, with
``book/_ext/drop_solutions.py`` loaded as a Sphinx extension that drops
every solution, and
without the instructor guide.

``python -m stocklearn.teaching grade FOLDER`` (``make grade``) grades every
notebook in a folder with otter-grader, without Docker, and prints one row per
submission: the points of each graded exercise, the total and the percentage.

The modules: :mod:`~stocklearn.teaching.chapter` (reading a chapter's
exercises; the student notebook), :mod:`~stocklearn.teaching.autograder`
(otter tests, check trials), :mod:`~stocklearn.teaching.edition` (the
student edition), :mod:`~stocklearn.teaching.grading` and the command line
(``__main__``).
"""

from stocklearn.teaching.autograder import (
    otter_tests,
    run_check,
    verify_check,
    with_check_trials,
    write_autograder,
)
from stocklearn.teaching.chapter import Chapter, Exercise, check_label, read_chapter
from stocklearn.teaching.edition import build_student_edition, write_book_config
from stocklearn.teaching.grading import grade, inject_parameters, prepare_submission

__all__ = ["Chapter", "Exercise", "build_student_edition", "check_label", "grade",
           "inject_parameters", "otter_tests", "prepare_submission", "read_chapter",
           "run_check", "verify_check", "with_check_trials", "write_autograder",
           "write_book_config"]
