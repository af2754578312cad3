"""Conversation routing: teams with skills, agent capacity and status, the queue."""
