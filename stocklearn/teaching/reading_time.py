"""How long a chapter takes to read and to run: the line under each chapter's title.

* :func:`reading_time` counts a chapter source's prose words and code lines
  before its exercises, read at :data:`WORDS_PER_MINUTE` and
  :data:`CODE_LINES_PER_MINUTE`;
* :func:`run_times` reads the measured wall times of ``benchmarks/results``
  (``benchmarks/run_notebooks.py``), never a typed number;
* the book's extension ``book/_ext/chapter_header.py`` shows both under
  every chapter's title, with the chapter's sections, and the instructor
  guide's table of chapters (its ``chapter-times`` directive) uses the same
  numbers.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

WORDS_PER_MINUTE = 200
"""Technical prose read with care (a typical adult reads 230-250 words a minute)."""
CODE_LINES_PER_MINUTE = 20
"""Lines of code read, not typed: three seconds a line."""
BACKEND_NAMES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}

_EXERCISES = re.compile(r"^#{1,3}\s*Exercises\b", re.M)
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class ReadingTime:
    """Words of prose and lines of code before a chapter's exercises."""

    words: int
    code_lines: int

    @property
    def minutes(self) -> float:
        """Minutes to read them at the module's rates."""
        return self.words / WORDS_PER_MINUTE + self.code_lines / CODE_LINES_PER_MINUTE


def reading_time(source: Path) -> ReadingTime:
    """The reading time of a chapter source (``notebooks/NN_name.py``) before its exercises.

    Markdown words and non-blank, non-comment code lines count, up to the
    heading "Exercises"; cells tagged ``remove-cell`` (the Colab install, the
    graded checks) are not on the page and do not count.
    """
    import jupytext

    words = lines = 0
    for cell in jupytext.read(source).cells:
        if "remove-cell" in cell.metadata.get("tags", []):
            continue
        if cell.cell_type == "markdown":
            if _EXERCISES.search(cell.source):
                break
            words += len(_WORD.findall(cell.source))
        elif cell.cell_type == "code":
            lines += sum(1 for line in cell.source.splitlines()
                         if line.strip() and not line.strip().startswith("#"))
    return ReadingTime(words, lines)


def run_times(benchmarks: Path, chapter: str) -> dict[str, dict[str, float]]:
    """Measured wall seconds of a chapter: ``{profile: {backend: seconds}}``.

    Reads ``notebooks_<profile>.csv`` in ``benchmarks`` (one row per chapter
    and backend); profiles or backends never measured are absent.
    """
    times: dict[str, dict[str, float]] = {}
    for profile in ("fast", "full"):
        path = Path(benchmarks) / f"notebooks_{profile}.csv"
        if not path.exists():
            continue
        with path.open(newline="") as f:
            for row in csv.DictReader(f):
                if row["chapter"] == chapter:
                    times.setdefault(profile, {})[row["backend"]] = float(row["wall_s"])
    return times


def _duration(seconds: float, language: str = "en") -> str:
    if language == "zh":
        return f"{seconds:.0f} 秒" if seconds < 90 else f"{seconds / 60:.0f} 分钟"
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def run_time_words(times: dict[str, dict[str, float]], language: str = "en") -> str:
    """``"fast 48 s on JAX, 65 s on TensorFlow; full 3 min on JAX"`` (``""`` if none).

    ``language="zh"`` gives the Chinese book's words:
    ``"fast：JAX 上 48 秒，TensorFlow 上 65 秒；full：JAX 上 3 分钟"``.
    """
    parts = []
    for profile, by_backend in times.items():
        ordered = sorted(by_backend.items(), key=lambda item: item[1])
        if language == "zh":
            runs = "，".join(f"{BACKEND_NAMES.get(b, b)} 上 {_duration(s, language)}"
                            for b, s in ordered)
            parts.append(f"{profile}：{runs}")
        else:
            runs = ", ".join(f"{_duration(s)} on {BACKEND_NAMES.get(b, b)}" for b, s in ordered)
            parts.append(f"{profile} {runs}")
    return ("；" if language == "zh" else "; ").join(parts)


def rounded_minutes(minutes: float) -> int:
    """A reading time as the page states it: to the nearest 5 minutes, at least 5."""
    return max(5, 5 * round(minutes / 5))
