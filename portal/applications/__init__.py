"""Applications for a plan: their models, lifecycle, decisions, evidence, the queue and its outcomes."""
