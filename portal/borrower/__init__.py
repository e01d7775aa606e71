"""The borrower's own pages: what they owe and why."""
