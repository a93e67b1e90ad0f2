"""Onboarding: owns the residents — who they are, their category, their status."""
