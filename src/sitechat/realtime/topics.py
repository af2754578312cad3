"""Broker topic names, in one place so publishers and subscribers agree."""

ADMIN = "admin"  # owners and admins: website created


def website(website_id: str) -> str:
    """Agents working on a website: messages, conversation changes, visitor typing."""
    return f"website:{website_id}"


def visitor(visitor_id: str) -> str:
    """One visitor's connections (all tabs, all nodes)."""
    return f"visitor:{visitor_id}"


def presence(website_id: str) -> str:
    """Visitors of a website: whether any agent is online."""
    return f"presence:{website_id}"


def agent(agent_id: str) -> str:
    """One agent's connections: membership changes."""
    return f"agent:{agent_id}"
