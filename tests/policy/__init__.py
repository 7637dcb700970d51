"""Policy engine, rule cases, reporters and the audit/rules commands."""
