"""Explained results and downloadable reports (no Streamlit here; pages and tests call these).

One job per module: advice (the actions file), explain (what the page and reports say),
charts (Altair + PNG), pdf (fpdf2), workbook (openpyxl). Decisions taken here, with reasons:

- "What holds you below the next level" lists the items of the first level below the pass mark
  (scoring.next_steps), ranked by how much fully meeting each raises that level's score; the
  stated "first N items are enough" is computed exactly from the stored level scores.
- The quick check's uncertainty is stated as the level it would give if every sub-domain were one
  step lower or higher than the description chosen (two rescorings), not as an invented margin.
- Public gates (Shandong 2025: level >= 2 for basic and advanced smart factories; level >= 3
  indicated for excellence) are shown with source and year as references, never as decisions.
- Peers (db/peers.py): share of peers with a strictly lower score, same questionnaire and scoring
  version, latest result per enterprise, demo and real records never mixed, hidden below 5 peers.
- "自评" / "已核验" follows the assessment's status (verified = 已核验).
"""
