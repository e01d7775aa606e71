"""Persistence shared by every blueprint: models, services (they flush, never commit) and queries."""
