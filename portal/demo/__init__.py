"""The demo world: branches, borrowers, loans and cases, made through the same services users use."""
