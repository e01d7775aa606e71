"""Phone agents: find a caller, verify them, act for them in an assisted session, notes and callbacks."""
