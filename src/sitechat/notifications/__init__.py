"""Agent notifications (PRD §3): preferences, who is told of what, web push, email."""
