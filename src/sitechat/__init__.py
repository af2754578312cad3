"""sitechat: self-hosted live chat for websites."""

__version__ = "0.1.0"
