"""Helpers shared by the test suites, one module per concern: `from tests.helpers.common import ...`.

common: the test configuration, the form-posting client, sign-in, TOTP codes, statement counting, PostgreSQL
databases; pages: the page catalog and its sweeps; e2e: the browser tests' pages and live servers; agents,
applications, auth, bench_check, domain, loans, security, staff, variants: each folder's arrangements;
hostile_corpus: the hostile input strings.
"""
