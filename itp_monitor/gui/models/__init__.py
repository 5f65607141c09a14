"""Qt table models adapting service results for views."""
