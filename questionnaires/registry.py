"""The questionnaire catalogue: every file in questionnaires/, checked against the manifest."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from questionnaires.loader import LoadError, QuestionnaireInvalid, load_file
from questionnaires.model import Questionnaire

DIRECTORY = Path(__file__).resolve().parent
MANIFEST = DIRECTORY / "manifest.json"

_lock = threading.Lock()
_cache: dict[str, dict[tuple[str, str], Questionnaire]] = {}


def read_manifest(path: Path = MANIFEST) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def manifest_errors(q: Questionnaire, manifest: dict) -> list[LoadError]:
    """QF501/QF502 when a published instrument or scoring version changed."""
    entry = manifest.get(f"{q.id}@{q.version}")
    if entry is None:
        return []
    errors = []
    if entry["instrument_sha256"] != q.instrument_sha256:
        errors.append(LoadError("QF501", f"{q.id} v{q.version} is published and its questions changed; "
                                "publish a new version (new file) instead", q.source_file, "(instrument)"))
    if q.scoring:
        known = entry.get("scoring", {}).get(q.scoring.version)
        if known is not None and known != q.scoring_sha256:
            errors.append(LoadError("QF502", f"scoring {q.scoring.version} changed; give it a new scoring.version",
                                    q.source_file, "scoring.version"))
    return errors


def load_checked(path: Path, manifest: dict | None = None) -> Questionnaire:
    """Load a file with every check the app applies, the manifest included (default: the app's).

    The app, ``python -m questionnaires.loader`` and ``python scoring.py`` all load through
    here, so an edited copy of a published version is refused everywhere (QF501/QF502).
    """
    if manifest is None:
        manifest = read_manifest()
    q = load_file(path)
    errors = manifest_errors(q, manifest)
    if errors:
        raise QuestionnaireInvalid(errors)
    return q


def load_all(directory: Path = DIRECTORY) -> dict[tuple[str, str], Questionnaire]:
    """Load and check every questionnaire file; any invalid file stops the app with its errors."""
    key = str(directory)
    with _lock:
        if key not in _cache:
            manifest = read_manifest(directory / "manifest.json")
            catalogue = {}
            for path in sorted(directory.glob("*.yaml")):
                q = load_checked(path, manifest)
                catalogue[q.key] = q
            _cache[key] = catalogue
        return _cache[key]


def get(questionnaire_id: str, version: str) -> Questionnaire:
    return load_all()[(questionnaire_id, version)]


def latest(questionnaire_id: str) -> Questionnaire:
    """The newest version of a questionnaire (versions compare as dotted numbers)."""
    versions = [q for q in load_all().values() if q.id == questionnaire_id]
    if not versions:
        raise KeyError(questionnaire_id)

    def order(q):
        return tuple(int(p) if p.isdigit() else 0 for p in q.version.split("."))

    return max(versions, key=order)


def offered(demo: bool) -> list[Questionnaire]:
    """Latest version of each questionnaire users may start (demo-audience ones only in demo mode)."""
    ids = sorted({q.id for q in load_all().values()})
    result = [latest(i) for i in ids]
    return [q for q in result if q.audience == "enterprise" or demo]


def publish(path: Path, manifest_path: Path = MANIFEST) -> str:
    """Record a file (or its new scoring version) in the manifest; never rewrites an entry."""
    manifest = read_manifest(manifest_path)
    q = load_checked(path, manifest)
    key = f"{q.id}@{q.version}"
    entry = manifest.setdefault(key, {"file": path.name, "instrument_sha256": q.instrument_sha256, "scoring": {}})
    if q.scoring and q.scoring.version not in entry["scoring"]:
        entry["scoring"][q.scoring.version] = q.scoring_sha256
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return key
