"""Bureau and admin: the audit log, filtered, shown in Asia/Shanghai time, exportable as xlsx and csv."""

from datetime import datetime, timedelta

import streamlit as st

from accounts.auth import require_role
from db.audit import ENTITIES, SHANGHAI, AuditFilter, actions_in_log, actors_in_log, query
from db.enterprises import list_enterprises
from kpi import export
from startup.bootstrap import ensure_ready
from ui.audit_table import action_label, audit_frame, entity_label
from ui.i18n import lang, t

SHOWN_ROWS = 500

identity = require_role("bureau", "admin")
db = ensure_ready()
st.title(t("page_audit"))

today = datetime.now(SHANGHAI).date()
cols = st.columns(3)
date_from = cols[0].date_input(t("audit_from"), value=today - timedelta(days=30), key="audit_from")
date_to = cols[1].date_input(t("audit_to"), value=today, key="audit_to")
actors = {u["id"]: f"{u['display_name'] or u['username']}（{u['username']}）" for u in actors_in_log(db)}
user_id = cols[2].selectbox(t("audit_user"), [None, *actors], format_func=lambda i: actors.get(i, t("audit_all")),
                            key="audit_user")
cols = st.columns(3)
action = cols[0].selectbox(t("audit_action"), [None, *actions_in_log(db)],
                           format_func=lambda a: t("audit_all") if a is None else action_label(a), key="audit_action")
entity = cols[1].selectbox(t("audit_entity"), [None, *ENTITIES],
                           format_func=lambda e: t("audit_all") if e is None else entity_label(e), key="audit_entity")
enterprises = {e["id"]: e["name"] for e in list_enterprises(db, identity)}
enterprise_id = cols[2].selectbox(t("audit_enterprise"), [None, *enterprises],
                                  format_func=lambda i: enterprises.get(i, t("audit_all")), key="audit_enterprise")

if date_from and date_to and date_from > date_to:
    st.error(t("audit_bad_range"))
    st.stop()
where = AuditFilter(date_from=date_from or None, date_to=date_to or None, user_id=user_id, action=action,
                    entity=entity, enterprise_id=enterprise_id)
rows = query(db, identity, where)
st.caption(t("audit_count", n=len(rows)))
if not rows:
    st.info(t("audit_empty"))
    st.stop()
table = audit_frame(rows, lang())
if len(rows) > SHOWN_ROWS:
    st.caption(t("audit_shown", n=SHOWN_ROWS, total=len(rows)))
st.dataframe(table.head(SHOWN_ROWS), hide_index=True, width="stretch", key="audit_table")
stamp = datetime.now(SHANGHAI).strftime("%Y%m%d-%H%M")
cols = st.columns(2)
cols[0].download_button(t("kpi_export_xlsx"), data=export.xlsx_bytes(table, t("page_audit")),
                        file_name=f"audit-{stamp}.xlsx", key="audit_xlsx", on_click="ignore",
                        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
cols[1].download_button(t("kpi_export_csv"), data=export.csv_bytes(table), file_name=f"audit-{stamp}.csv",
                        mime="text/csv", key="audit_csv", on_click="ignore")
