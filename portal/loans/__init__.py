"""Loans: products, loans, schedule versions and payments; opening loans, recording payments, positions."""
