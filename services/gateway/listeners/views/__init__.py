"""Modal submissions, validated inline before anything is published."""
