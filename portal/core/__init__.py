"""What every feature writes through: the hash-chained audit trail, the outbox and notices to borrowers."""
