"""Assessments: filling in and submitting, with the questionnaire's rules applied to each write (filling)."""
