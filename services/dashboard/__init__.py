"""Dashboard: a read model of the community built from events, and the operators' view of the services."""
