"""The service provider's review: questionnaire rules applied to review records, the verified score (verification)."""
