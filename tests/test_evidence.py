"""Evidence files: content checks, limits (nothing stored when refused), storage, the access matrix, audit."""

from __future__ import annotations

import os
import stat

import pytest

from db.identity import AccessDenied, NotFound
from evidence.content import EvidenceRefused, check_upload, safe_name, sniff
from tests import evidence_samples as samples
from tests.conftest import identity_of


@pytest.fixture
def store_dir(tmp_path, monkeypatch):
    folder = tmp_path / "evidence-store"
    monkeypatch.setenv("ZB_EVIDENCE_DIR", str(folder))
    return folder


@pytest.fixture
def open_item(fresh_db, ent1, store_dir):
    """(assessment id, item id) of an open quick-check assessment of ent1's enterprise."""
    from db.assessments import start_assessment
    from questionnaires import registry

    quick = registry.latest("cmmm_quick")
    aid, _ = start_assessment(fresh_db, ent1, quick.id, quick.version)
    return aid, next(iter(quick.questions))


@pytest.fixture
def provider_b(fresh_db):
    """A second provider organisation serving enterprise 4 only, with one user."""
    from db.providers import assign_enterprise, create_provider_org, create_provider_user

    bureau = identity_of(fresh_db, "bureau1")
    pid = create_provider_org(fresh_db, bureau, "第二服务商")
    create_provider_user(fresh_db, bureau, pid, "provb", "zibo2025-Strong!", "乙顾问")
    ent4 = identity_of(fresh_db, "ent4").enterprise_id
    assign_enterprise(fresh_db, bureau, ent4, pid)
    return identity_of(fresh_db, "provb")


def _stored_files(folder) -> list:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


@pytest.mark.parametrize("data, kind", [
    (samples.PDF, "pdf"), (samples.PNG, "png"), (samples.JPEG, "jpeg"), (samples.OLE, "ole"),
    (samples.ooxml("docx"), "docx"), (samples.ooxml("xlsx"), "xlsx"), (samples.ooxml("pptx"), "pptx"),
    (samples.ooxml("docx", macro=True), None), (samples.plain_zip(), None), (samples.EXE, None), (b"hello", None),
])
def test_kind_is_decided_by_content(data, kind):
    assert sniff(data) == kind


@pytest.mark.parametrize("name, shown", [
    ("报告.pdf", "报告.pdf"),
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("C:\\Users\\x\\证书 扫描件.pdf", "证书 扫描件.pdf"),
    ('a<b>:"c|d?*.pdf', "a_b___c_d__.pdf"),
    ("..hidden.pdf", "hidden.pdf"),
    ("line\nbreak.pdf", "line_break.pdf"),
])
def test_names_are_sanitised(name, shown):
    assert safe_name(name) == shown


def test_long_names_keep_their_extension():
    name = safe_name("长" * 300 + ".pdf")
    assert len(name) == 120 and name.endswith(".pdf")


@pytest.mark.parametrize("name, data, says", [
    ("报告.pdf", samples.EXE, "内容不是可接受的类型"),  # wrong type by content, good extension
    ("照片.png", samples.plain_zip(), "内容不是可接受的类型"),
    ("宏.docx", samples.ooxml("docx", macro=True), "内容不是可接受的类型"),
    ("报告.exe", samples.PDF, "扩展名与内容不符"),  # good type, bad name
    ("报告.png", samples.PDF, "扩展名与内容不符"),
    ("报告", samples.PDF, "文件名无效"),
    ("../.pdf", samples.PDF, "文件名无效"),
    ("空.pdf", b"", "文件为空"),
])
def test_bad_uploads_are_refused_with_a_chinese_message(name, data, says):
    with pytest.raises(EvidenceRefused) as refused:
        check_upload(name, data)
    assert says in refused.value.text.zh


def test_size_limit_is_configurable(monkeypatch):
    monkeypatch.setenv("ZB_EVIDENCE_MAX_MB", "1")
    check_upload("a.pdf", samples.PDF + b"0" * (1024 * 1024 - len(samples.PDF)))  # exactly 1 MB is fine
    with pytest.raises(EvidenceRefused) as refused:
        check_upload("a.pdf", samples.PDF + b"0" * (1024 * 1024))
    assert "过大" in refused.value.text.zh and "1 MB" in refused.value.text.zh


@pytest.mark.parametrize("name, data", [
    ("大文件.pdf", samples.PDF + b"0" * (2 * 1024 * 1024)),
    ("报告.pdf", samples.EXE),
    ("报告.exe", samples.PDF),
])
def test_refused_upload_stores_neither_row_nor_file(fresh_db, ent1, open_item, store_dir, monkeypatch, name, data):
    from db.evidence import attach

    monkeypatch.setenv("ZB_EVIDENCE_MAX_MB", "1")
    aid, item = open_item
    audit_before = fresh_db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    with pytest.raises(EvidenceRefused):
        attach(fresh_db, ent1, aid, item, name, data)
    assert fresh_db.execute("SELECT count(*) FROM evidence_files").fetchone()[0] == 0
    assert fresh_db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == audit_before
    assert _stored_files(store_dir) == []


def test_attach_stores_under_the_hash_privately_and_audits(fresh_db, ent1, open_item, store_dir):
    import hashlib

    from db import audit
    from db.evidence import attach, evidence_for_item, open_evidence

    aid, item = open_item
    eid = attach(fresh_db, ent1, aid, item, "../证书.pdf", samples.PDF)
    sha = hashlib.sha256(samples.PDF).hexdigest()
    path = store_dir / sha[:2] / sha[2:]
    assert path.read_bytes() == samples.PDF
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    [row] = evidence_for_item(fresh_db, ent1, aid, item)
    assert (row["id"], row["filename"], row["size"], row["kind"]) == (eid, "证书.pdf", len(samples.PDF), "pdf")
    assert open_evidence(fresh_db, ent1, eid)[1] == samples.PDF
    [entry] = [e for e in audit.entries(fresh_db, "assessment", aid) if e["action"] == "attach_evidence"]
    assert entry["user_id"] == ent1.user_id and "证书.pdf" in entry["new"]
    assert not fresh_db.execute("SELECT 1 FROM evidence_files WHERE sha256 LIKE '%/%'").fetchone()


def test_evidence_dir_defaults_beside_the_database_file(fresh_db, monkeypatch, tmp_path):
    from evidence.storage import evidence_dir

    monkeypatch.delenv("ZB_EVIDENCE_DIR", raising=False)
    # The SQLite file; on PostgreSQL, where that file would be (never a path made from the URL).
    assert evidence_dir() == tmp_path / "evidence"
    monkeypatch.setenv("ZB_EVIDENCE_DIR", str(tmp_path / "shared"))
    assert evidence_dir() == tmp_path / "shared"


def test_delete_while_open_is_audited_and_shared_bytes_stay(fresh_db, ent1, ent1b, open_item, store_dir):
    from db import audit
    from db.evidence import attach, delete_evidence, evidence_for_item

    aid, item = open_item
    first = attach(fresh_db, ent1, aid, item, "a.pdf", samples.PDF)
    second = attach(fresh_db, ent1b, aid, item, "b.pdf", samples.PDF)  # same bytes, one stored file
    assert len(_stored_files(store_dir)) == 1
    delete_evidence(fresh_db, ent1b, first)
    assert [f["id"] for f in evidence_for_item(fresh_db, ent1, aid, item)] == [second]
    assert len(_stored_files(store_dir)) == 1
    delete_evidence(fresh_db, ent1, second)
    assert _stored_files(store_dir) == []
    deletions = [e for e in audit.entries(fresh_db, "assessment", aid) if e["action"] == "delete_evidence"]
    assert [e["user_id"] for e in deletions] == [ent1b.user_id, ent1.user_id]
    assert "a.pdf" in deletions[0]["old"]


def test_no_attach_or_delete_after_submission(fresh_db, ent1, open_item, store_dir):
    from db.assessments import ReadOnly
    from db.evidence import attach, delete_evidence

    aid, item = open_item
    eid = attach(fresh_db, ent1, aid, item, "a.pdf", samples.PDF)
    fresh_db.execute("UPDATE assessments SET status = 'submitted' WHERE id = ?", [aid])
    with pytest.raises(ReadOnly):
        attach(fresh_db, ent1, aid, item, "b.pdf", samples.PDF)
    with pytest.raises(ReadOnly):
        delete_evidence(fresh_db, ent1, eid)
    assert fresh_db.execute("SELECT count(*) FROM evidence_files").fetchone()[0] == 1


def test_unknown_item_is_refused(fresh_db, ent1, open_item):
    from db.evidence import attach

    aid, _ = open_item
    with pytest.raises(NotFound):
        attach(fresh_db, ent1, aid, "no-such-item", "a.pdf", samples.PDF)


@pytest.mark.parametrize("who, allowed", [
    ("ent1", True),  # the enterprise's own staff
    ("ent1b", True),
    ("ent2", False),  # another enterprise
    ("provider1", True),  # the assigned provider
    ("provb", False),  # another provider
    ("bureau1", True),
    ("admin", False),  # decision: administrators manage accounts, not enterprise content
])
def test_access_matrix_for_opening_evidence(fresh_db, ent1, open_item, provider_b, who, allowed):
    from db.evidence import evidence_for_assessment, evidence_for_item, open_evidence

    aid, item = open_item
    eid = __import__("db.evidence", fromlist=["attach"]).attach(fresh_db, ent1, aid, item, "a.pdf", samples.PDF)
    identity = identity_of(fresh_db, who)
    if allowed:
        assert open_evidence(fresh_db, identity, eid)[1] == samples.PDF
        assert [f["id"] for f in evidence_for_item(fresh_db, identity, aid, item)] == [eid]
        assert list(evidence_for_assessment(fresh_db, identity, aid)) == [item]
    else:
        for call in (lambda: open_evidence(fresh_db, identity, eid),
                     lambda: evidence_for_item(fresh_db, identity, aid, item),
                     lambda: evidence_for_assessment(fresh_db, identity, aid)):
            with pytest.raises(NotFound):
                call()


@pytest.mark.parametrize("who", ["ent2", "provider1", "bureau1", "admin"])
def test_only_the_enterprise_attaches_and_deletes(fresh_db, ent1, open_item, who):
    from db.evidence import attach, delete_evidence

    aid, item = open_item
    eid = attach(fresh_db, ent1, aid, item, "a.pdf", samples.PDF)
    identity = identity_of(fresh_db, who)
    with pytest.raises((NotFound, AccessDenied)):
        attach(fresh_db, identity, aid, item, "b.png", samples.PNG)
    with pytest.raises((NotFound, AccessDenied)):
        delete_evidence(fresh_db, identity, eid)
    assert fresh_db.execute("SELECT count(*) FROM evidence_files").fetchone()[0] == 1


def test_reassignment_moves_evidence_access_with_it(fresh_db, ent1, open_item, provider_b):
    from db.evidence import attach, open_evidence
    from db.providers import assign_enterprise

    aid, item = open_item
    eid = attach(fresh_db, ent1, aid, item, "a.pdf", samples.PDF)
    assign_enterprise(fresh_db, identity_of(fresh_db, "bureau1"), ent1.enterprise_id, provider_b.provider_id)
    assert open_evidence(fresh_db, provider_b, eid)[1] == samples.PDF
    with pytest.raises(NotFound):
        open_evidence(fresh_db, identity_of(fresh_db, "provider1"), eid)


def test_deleting_a_draft_takes_its_attachments_and_sweep_removes_the_bytes(fresh_db, ent1, open_item, store_dir):
    from db.assessments import delete_draft
    from db.evidence import attach, sweep_orphans

    aid, item = open_item
    attach(fresh_db, ent1, aid, item, "a.pdf", samples.PDF)
    delete_draft(fresh_db, ent1, aid)
    assert fresh_db.execute("SELECT count(*) FROM evidence_files").fetchone()[0] == 0
    assert sweep_orphans(fresh_db) == 1 and _stored_files(store_dir) == []


def test_sweep_command_keeps_what_an_attachment_uses(fresh_db, ent1, open_item, store_dir, capsys):
    import manage
    from db.evidence import attach

    aid, item = open_item
    attach(fresh_db, ent1, aid, item, "a.pdf", samples.PDF)
    stray = store_dir / "ab" / ("c" * 62)
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"left by a deleted draft")
    assert manage.main(["sweep-evidence"]) == 0
    assert "1 evidence file" in capsys.readouterr().out
    assert not stray.exists() and len(_stored_files(store_dir)) == 1


def test_writes_after_sign_out_store_nothing(fresh_db, ent1, open_item, store_dir):
    from dataclasses import replace

    from db.evidence import attach, delete_evidence
    from db.identity import SessionEnded
    from db.providers import assign_enterprise, create_provider_org
    from db.users import open_session, revoke_session, token_hash

    aid, item = open_item
    eid = attach(fresh_db, ent1, aid, item, "a.pdf", samples.PDF)
    token = open_session(fresh_db, ent1)
    live = replace(ent1, session=token_hash(token))
    revoke_session(fresh_db, token)
    with pytest.raises(SessionEnded):
        attach(fresh_db, live, aid, item, "b.png", samples.PNG)
    with pytest.raises(SessionEnded):
        delete_evidence(fresh_db, live, eid)
    assert [r[0] for r in fresh_db.execute("SELECT id FROM evidence_files")] == [eid]
    assert len(_stored_files(store_dir)) == 1
    bureau = identity_of(fresh_db, "bureau1")
    token = open_session(fresh_db, bureau)
    gone = replace(bureau, session=token_hash(token))
    revoke_session(fresh_db, token)
    with pytest.raises(SessionEnded):
        create_provider_org(fresh_db, gone, "不会创建")
    with pytest.raises(SessionEnded):
        assign_enterprise(fresh_db, gone, ent1.enterprise_id, None)
    assert fresh_db.execute("SELECT count(*) FROM providers WHERE name = '不会创建'").fetchone()[0] == 0
    assert fresh_db.execute("SELECT count(*) FROM assignments WHERE enterprise_id = ?", [ent1.enterprise_id]).fetchone()[0] == 1
