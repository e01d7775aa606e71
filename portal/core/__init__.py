"""What every feature writes through: the keyed audit trail, the outbox and notices to borrowers."""
