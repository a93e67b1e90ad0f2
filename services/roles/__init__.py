"""Roles: owns role grants (category, office and admin roles) and employee applications."""
