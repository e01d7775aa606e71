"""Pure rules of the arrears-relief portal: money, repayment schedules and arrears.

Nothing here imports Flask, SQLAlchemy, Babel or any other third-party package (a test walks the imports),
so the rules can be tested and reused without an application, a database or a locale.
"""
