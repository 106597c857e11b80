"""A maturity questionnaire's scoring compiled once into NumPy index arrays.

``plan_for(questionnaire)`` returns a cached :class:`CmmmPlan` (one per questionnaire id,
version and content hashes). A plan knows, for every scored ``scale4`` item, its sub-domain
and level, and the scale value of each answer. What is relevant and applicable depends only
on the answers to the few questions that relevance conditions (and the weight choice) read,
plus which sections or items are declared not applicable; the plan therefore caches one
:class:`Frame` per such *relevance key* — what each item adds to its (sub-domain, level) mean, with the
irrelevant items left out (each item's share of its cell mean), the weights of the chosen table, the per-level and per-node weight
matrices — so that scoring one assessment is: encode the answers, two small matrix products,
and the explanation. The arithmetic itself is in scoring.py. (Small array products use element-wise
operations and ``bincount``, not BLAS ``@``: on a shared 2-core machine BLAS threads cost more than
they save at this size.)
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np

from questionnaires.conditions import referenced_questions, visibility
from questionnaires.loader import DEFAULT_WEIGHT_TABLE
from questionnaires.model import CmmmScoring, Questionnaire

MAX_PLANS = 64  # distinct questionnaire versions kept compiled
MAX_FRAMES = 1024  # relevance keys kept per plan (~30 kB each; cmmm_full: 3 types × not-applicable choices)


@dataclass(frozen=True)
class Frame:
    """Everything about one relevance key that does not depend on the scale answers."""

    type_value: Any  # the effective answer of the type question (selects the weights)
    weights: tuple[float, ...]  # per sub-domain, from the file's table for ``type_value``
    applicable: np.ndarray  # n_sd bool: sub-domain has relevant, applicable items
    declared_na: frozenset[str]  # sub-domains declared not applicable (their reason is shown)
    nonempty: np.ndarray  # n_sd × L bool: sub-domain has relevant, applicable items at level n
    counts: np.ndarray  # n_sd × L: how many
    item_cell: np.ndarray | None  # items: index of its (sub-domain, level) cell; n_sd·L if not active
    inv_count: np.ndarray | None  # n_sd·L: 1 / items in the cell (0 where none)
    step_items: tuple[tuple[tuple[int, str, str, float, int], ...], ...]  # per level, see make_frame
    cell_w: np.ndarray  # n_sd × L: weight of each (sub-domain, level) mean in Sₙ (0 where no items)
    level_den: np.ndarray  # L: Σ weights at level n (NaN where no sub-domain has items)
    active: np.ndarray | None  # items bool: relevant and applicable
    nonempty_list: list[list[bool]]  # the same as plain Python lists, for the per-sub-domain loop
    full_list: list[bool | None]  # per sub-domain: items at every level (True), some (False), none (None)


class CmmmPlan:
    """The compiled form of one ``cmmm`` questionnaire's scoring."""

    def __init__(self, q: Questionnaire):
        s: CmmmScoring = q.scoring
        self.questionnaire = q
        self.scoring = s
        self.subdomains = s.subdomains
        self.levels = tuple(lv.level for lv in s.levels)
        self.level_keys = tuple(str(n) for n in self.levels)
        sd_index = {sd: i for i, sd in enumerate(self.subdomains)}
        self.nodes = tuple((kind, node) for element in s.structure
                           for kind, node in (("element", element), *(("domain", d) for d in element.children)))
        level_index = {n: j for j, n in enumerate(self.levels)}
        items, item_group, item_sd, item_level, positions = [], [], [], [], []
        for sd in self.subdomains if s.method == "cmmm" else ():  # cmmm_quick has no items
            for question in q.section(sd).questions:
                if question.type == "scale4" and question.level in level_index:
                    items.append(question.id)
                    item_sd.append(sd_index[sd])
                    item_level.append(level_index[question.level])
                    item_group.append(sd_index[sd] * len(self.levels) + level_index[question.level])
                    positions.append(question.position)
        self.items = tuple(items)
        self.item_sd = np.array(item_sd, dtype=np.intp)
        self.item_level = np.array(item_level, dtype=np.intp)
        self.item_group = np.array(item_group, dtype=np.intp)
        self.item_position = np.array(positions, dtype=np.intp)
        self.value_of = dict(s.scale_values)
        # questions whose answers decide relevance or the weight table, in file order
        refs = set().union(*(referenced_questions(x.relevant) for x in (*q.sections, *q.questions.values())))
        if s.type_question:
            refs.add(s.type_question)
        self.key_questions = tuple(sorted(refs, key=lambda qid: q.questions[qid].position))
        self.na_ids = frozenset([x.id for x in q.sections if x.allow_na] +
                                [x.id for x in q.questions.values() if x.allow_na])
        self.node_indices = tuple(tuple(sd_index[sd] for sd in node.subdomains) for _, node in self.nodes)
        self._frames: dict[tuple, Frame] = {}
        self._lock = threading.Lock()

    # -- encoding -------------------------------------------------------------------------------
    def encode(self, answers: Mapping[str, Any]) -> list[float]:
        """Scale value of every scored item's answer (0 for no answer or a value off the scale)."""
        try:
            return list(map(self.value_of.get, map(answers.get, self.items), repeat(0.0, len(self.items))))
        except TypeError:  # an unhashable (malformed) answer: value it 0 like any off-scale answer
            return [self.value_of.get(v, 0.0) if isinstance(v, str) else 0.0 for v in map(answers.get, self.items)]

    def means(self, frame: Frame, values: list[float]) -> np.ndarray:
        """Sub-domain mean per level (n_sd × L; 0 where a cell has no relevant, applicable items)."""
        sums = np.bincount(frame.item_cell, weights=values, minlength=frame.inv_count.size + 1)
        return (sums[:-1] * frame.inv_count).reshape(frame.nonempty.shape)

    # -- relevance ------------------------------------------------------------------------------
    def frame(self, answers: Mapping[str, Any], na: Mapping[str, str]) -> Frame:
        """The cached frame for these answers' relevance key (built on first use)."""
        key_answers = tuple(map(_hashable, map(answers.get, self.key_questions)))
        key_na = self.na_ids.intersection(na) if na else frozenset()
        key = (key_answers, key_na)
        try:
            return self._frames[key]
        except KeyError:
            pass
        except TypeError:  # an answer that cannot be a dict key: build without caching
            return self._build_frame(answers, na)
        frame = self._build_frame(answers, na)
        with self._lock:
            if len(self._frames) >= MAX_FRAMES:
                self._frames.clear()
            self._frames[key] = frame
        return frame

    def _build_frame(self, answers: Mapping[str, Any], na) -> Frame:
        q = self.questionnaire
        key_answers = {qid: answers[qid] for qid in self.key_questions if qid in answers}
        vis = visibility(q, key_answers, {k: "" for k in (na or {}) if k in self.na_ids})
        n_sd, n_lv = len(self.subdomains), len(self.levels)
        open_sd = np.array([q.section(sd).id in vis.sections and sd not in vis.not_applicable
                            for sd in self.subdomains], dtype=bool)
        active = np.array([open_sd[k] and qid in vis.questions and qid not in vis.not_applicable
                           for qid, k in zip(self.items, self.item_sd.tolist())], dtype=bool)
        counts = np.bincount(self.item_group[active], minlength=n_sd * n_lv).astype(float)
        nonempty = (counts > 0).reshape(n_sd, n_lv)
        return self.make_frame(vis.effective, nonempty,
                               frozenset(sd for sd in self.subdomains if sd in vis.not_applicable),
                               counts=counts.reshape(n_sd, n_lv), active=active)

    def weights_for(self, effective: Mapping[str, Any]) -> tuple[Any, np.ndarray]:
        """(type answer, weight per sub-domain) from the file's table for the effective type answer."""
        q, s = self.questionnaire, self.scoring
        type_value = effective.get(s.type_question) if s.type_question else None
        table = s.weights.get(str(type_value) if s.type_question else DEFAULT_WEIGHT_TABLE)
        if table is None or (s.type_question and type_value is None):
            raise ValueError(f"{q.id} v{q.version}: no weight table for type question "
                             f"{s.type_question!r} = {type_value!r}; answer it before scoring")
        return type_value, np.array([float(table[sd]) for sd in self.subdomains])

    def make_frame(self, effective: Mapping[str, Any], nonempty: np.ndarray, declared_na: frozenset[str],
                   counts: np.ndarray | None = None, active: np.ndarray | None = None) -> Frame:
        """A frame from which (sub-domain, level) cells have items; weights from the effective type.

        ``step_items[j]`` lists, for level j, the active items as (item index, item id, sub-domain,
        gain factor, position): fully meeting the item raises Sⱼ by factor × (1 − its value), with
        factor = w_sd / Σw at level j / number of the sub-domain's items at level j.
        """
        type_value, weights = self.weights_for(effective)
        n_sd, n_lv = nonempty.shape
        applicable = nonempty.any(axis=1)
        # Sₙ = Σ w·x / Σ w over the sub-domains with items at level n and a weight above 0
        cell_w = np.where(nonempty & (weights[:, None] > 0), weights[:, None], 0.0)
        level_den = cell_w.sum(axis=0)
        item_cell = inv_count = None
        steps: list[tuple] = [() for _ in range(n_lv)]
        if active is not None:
            item_cell = np.where(active, self.item_group, n_sd * n_lv)
            flat = counts.ravel()
            inv_count = np.divide(1.0, flat, out=np.zeros_like(flat), where=flat > 0)
            per_level: list[list] = [[] for _ in range(n_lv)]
            for i in np.flatnonzero(active).tolist():
                k, j = int(self.item_sd[i]), int(self.item_level[i])
                if level_den[j] > 0:
                    per_level[j].append((i, self.items[i], self.subdomains[k],
                                         float(weights[k] / level_den[j] / counts[k, j]), int(self.item_position[i])))
            steps = [tuple(x) for x in per_level]
        return Frame(type_value=type_value, weights=tuple(weights.tolist()), applicable=applicable,
                     declared_na=declared_na, nonempty=nonempty,
                     counts=counts if counts is not None else nonempty.astype(float),
                     item_cell=item_cell, inv_count=inv_count, step_items=tuple(steps),
                     cell_w=cell_w, level_den=np.where(level_den > 0, level_den, np.nan),
                     active=active, nonempty_list=nonempty.tolist(),
                     full_list=[(all(row) if any(row) else None) for row in nonempty.tolist()])


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


_plans: dict[tuple, CmmmPlan] = {}
_plans_lock = threading.Lock()


def plan_for(q: Questionnaire) -> CmmmPlan:
    """The compiled plan of a ``cmmm`` questionnaire, built once per id, version and content."""
    key = (q.id, q.version, q.instrument_sha256, q.scoring_sha256)
    plan = _plans.get(key)
    if plan is None:
        plan = CmmmPlan(q)
        with _plans_lock:
            if len(_plans) >= MAX_PLANS:
                _plans.clear()
            _plans[key] = plan
    return plan


# -- the answers snapshot written at submission -----------------------------------------------

class AnswerLayout:
    """Where each question's answer sits in a compact answers snapshot: the questionnaire's question ids
    in file order, and a fingerprint of that order stored with every snapshot.

    ``pack`` turns (answers, not-applicable reasons) into a JSON-ready dict: the distinct answer values
    once ("table"), and one character per question in layout order naming its value's place in the
    table ("index": chr(INDEX_BASE + place)); answers outside the layout and the not-applicable reasons
    as they are. A full assessment (243 questions, 4 distinct values) packs into ~400 bytes instead
    of 13.7 kB keyed by item id, and unpacks with a few C-level calls. ``unpack`` gives back exactly
    what was packed; a snapshot whose fingerprint differs from the questionnaire's current layout is
    not unpacked (the caller reads the answer rows instead), so a changed file can never shift an
    answer to another question.
    """

    INDEX_BASE = 0x30  # '0': the index string stays printable; places far below the surrogate range
    MAX_TABLE = 0xD000  # more distinct values than this (never in practice): not packed, see pack

    def __init__(self, question_ids):
        import hashlib

        self.ids = tuple(question_ids)
        self.fingerprint = hashlib.sha256("\n".join(self.ids).encode("utf-8")).hexdigest()[:16]
        self._known = frozenset(self.ids)

    def pack(self, answers: Mapping[str, Any], na: Mapping[str, str]) -> dict | None:
        """The snapshot dict ({"layout", "table", "index", "answers", "na"}), or None when it cannot be
        packed (more distinct values than MAX_TABLE). Unanswered questions point at a null in the table
        (a stored answer is never null). Lists and objects get a table entry each (never shared)."""
        table, place, index = [], {}, []
        for value in map(answers.get, self.ids):
            key = (type(value), repr(value))  # exact: 1, 1.0, True and -0.0 vs 0.0 stay apart
            if isinstance(value, (list, dict)) or key not in place:
                if not isinstance(value, (list, dict)):
                    place[key] = len(table)
                index.append(len(table))
                table.append(value)
            else:
                index.append(place[key])
        if len(table) > self.MAX_TABLE:
            return None
        return {"layout": self.fingerprint, "table": table, "index": "".join(chr(self.INDEX_BASE + i) for i in index),
                "answers": {k: v for k, v in answers.items() if k not in self._known}, "na": dict(na)}

    def unpack(self, data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]] | None:
        """(answers, not-applicable reasons) of a packed snapshot, or None if it has another layout."""
        table, index = data.get("table"), data.get("index")
        if (data.get("layout") != self.fingerprint or not isinstance(table, list) or not isinstance(index, str)
                or len(index) != len(self.ids)):
            return None
        by_char = {chr(self.INDEX_BASE + i): v for i, v in enumerate(table)}
        try:
            answers = dict(zip(self.ids, map(by_char.__getitem__, index)))
        except KeyError:
            return None
        if None in table:
            answers = {k: v for k, v in answers.items() if v is not None}
        answers.update(data.get("answers") or {})
        return answers, dict(data.get("na") or {})


_layouts: dict[tuple, AnswerLayout | None] = {}


def layout_for(questionnaire_id: str, version: str) -> AnswerLayout | None:
    """The answer layout of a questionnaire version in the registry (cached), None if it is not there."""
    from questionnaires import registry

    try:
        q = registry.get(questionnaire_id, version)
    except KeyError:
        return None
    key = (q.id, q.version, q.instrument_sha256)
    layout = _layouts.get(key)
    if layout is None:
        with _plans_lock:
            if len(_layouts) >= MAX_PLANS:
                _layouts.clear()
            layout = _layouts[key] = AnswerLayout(q.questions)
    return layout
