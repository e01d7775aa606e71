"""People: borrowers, staff and branches, their sign-in records, and the branch lookup pages use."""
