"""Concrete actions per maturity sub-domain and level, from a versioned content file.

The file (questionnaires/advice/cmmm_v1.yaml) sits apart from the published questionnaires,
which manifest.json freezes; wording changes get a new advice version, not a new questionnaire.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from questionnaires import yaml_strict
from questionnaires.model import CmmmScoring, Questionnaire, Text

ADVICE_DIR = Path(__file__).resolve().parents[1] / "questionnaires" / "advice"
DEFAULT_FILE = ADVICE_DIR / "cmmm_v1.yaml"
LEVELS = (1, 2, 3, 4, 5)


class AdviceInvalid(ValueError):
    """The advice file is missing an entry or has a malformed one."""


@dataclass(frozen=True)
class Advice:
    id: str
    version: str
    applies_to: tuple[str, ...]
    actions: dict[str, dict[int, Text]]  # base sub-domain id -> level -> action

    def action(self, subdomain: str, level: int) -> Text | None:
        """The action that moves ``subdomain`` towards ``level`` (quick-check ids map to the full ones)."""
        return self.actions.get(base_subdomain(subdomain), {}).get(level)


def base_subdomain(subdomain: str) -> str:
    """The full questionnaire's sub-domain id (the quick check prefixes its ids with ``quick_``)."""
    return subdomain.removeprefix("quick_")


def parse(text: str, source: str = "advice") -> Advice:
    """Parse and validate advice YAML; every problem is named with its sub-domain and level."""
    data = yaml_strict.load(text)
    problems = []
    if not isinstance(data, dict) or not isinstance(data.get("subdomains"), dict):
        raise AdviceInvalid(f"{source}: expected a mapping with 'subdomains'")
    actions: dict[str, dict[int, Text]] = {}
    for sd, per_level in data["subdomains"].items():
        if not isinstance(per_level, dict):
            problems.append(f"{source}: subdomains.{sd}: expected a mapping of levels 1-5")
            continue
        extra = set(per_level) - set(LEVELS)
        if extra:
            problems.append(f"{source}: subdomains.{sd}: unknown level(s) {sorted(map(str, extra))}")
        actions[sd] = {}
        for level in LEVELS:
            entry = per_level.get(level)
            if not isinstance(entry, dict) or not str(entry.get("zh") or "").strip() \
                    or not str(entry.get("en") or "").strip():
                problems.append(f"{source}: subdomains.{sd}.{level}: needs non-empty zh and en")
                continue
            actions[sd][level] = Text(str(entry["zh"]).strip(), str(entry["en"]).strip())
    if problems:
        raise AdviceInvalid("\n".join(problems))
    return Advice(str(data.get("id", "")), str(data.get("version", "")), tuple(data.get("applies_to") or ()), actions)


def missing_for(advice: Advice, questionnaire: Questionnaire) -> list[str]:
    """Sub-domain × level pairs of a maturity questionnaire with no action (empty = complete)."""
    scoring = questionnaire.scoring
    if not isinstance(scoring, CmmmScoring):
        return []
    levels = [lv.level for lv in scoring.levels]
    return [f"{sd}.{n}" for sd in scoring.subdomains for n in levels if advice.action(sd, n) is None]


@cache
def load(path: Path = DEFAULT_FILE) -> Advice:
    """The advice file, parsed and validated once per process."""
    return parse(path.read_text(encoding="utf-8"), path.name)
