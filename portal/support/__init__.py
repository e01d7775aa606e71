"""Phone support and help: support codes, verification, assisted sessions, call notes, help requests."""
